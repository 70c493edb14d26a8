"""Healthcare intake: the caller's patient record, the symptoms they report, clinic appointments."""
