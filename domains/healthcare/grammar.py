"""What patients say at intake (registration, symptoms, appointments), and what the assistant says back."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.grammar.templates import Ask, DomainGrammar, ToolWords, load_phrasings, phrasings
from domains.bookings import proof_answers
from domains.healthcare import slots

_t = partial(phrasings, "healthcare")

_NAME = {"first": "first_name", "last": "last_name", "dob": "date_of_birth", "phone": "phone"}
_REGISTER = "(register|sign up|enroll|check in)"
_APPT = "[a|an|my] [doctor|doctor's|doctors|medical] (appointment|visit)"
_WANT = "[i need|i want|i would like|can i (get|have|book|make)|could i (get|have)]"
_HAVE = "(have|have had|have been|have been having|am having|have got|got|am suffering from|have been suffering from)"
_FEEL = "(feel|am feeling|have been feeling|feel really|feel very)"
_BOOKING = {"when": "date"}
_WHOSE = "[a|an|my|her|his|their|our|the]"
_ANYONE = ("[with (whoever is|whoever's|whoever|anyone|anybody|any doctor|any of the doctors|whichever doctor is|whoever has time)"
           " [available|free|open|around|in]]")
"""No doctor in particular ("... at nine [with whoever's available]"): no provider, and no reason either."""

TEMPLATES = (
    *_t("register_patient", f"{_REGISTER} [me] [as a [new] patient]", "i am a new patient",
        f"{_REGISTER} a new patient"),
    *_t("register_patient", f"{_REGISTER} [me] as {{first:name}} {{last:name}}",
        f"{_REGISTER} [a new patient] [named] {{first:name}} {{last:name}} [as a [new] patient]",
        "i am a new patient [and] my name is {first:name} {last:name}", "my name is {first:name} {last:name}",
        "i am a new patient named {first:name} {last:name}",
        f"{_REGISTER} [me] [as a [new] patient] [and] (i am|my name is|this is|the name is) {{first:name}} {{last:name}}",
        f"{_REGISTER} [me] as {{first:name}} {{last:name}} [born|born on|date of birth] {{dob:birth_date}}",
        "my name is {first:name} {last:name} and i was born [on] {dob:birth_date}",
        "my name is {first:name} {last:name} and my (phone number|number) is {phone}",
        f"{_REGISTER} [me] as {{first:name}} {{last:name}} [and] my (phone number|number) is {{phone}}",
        slots=_NAME),
    *_t("update_patient", "(update|change) my (phone number|phone|number) to {phone}",
        "my new (phone number|number) is {phone}",
        "my (phone number|number) (changed|has changed|is changing|is now) to {phone}", "(update|change) my (date of birth|birthday|birth date) to {dob:birth_date}",
        "my (date of birth|birthday|birth date) is {dob:birth_date}", "i was born [on|in] {dob:birth_date}",
        "(update|change) my (last name|surname) to {last:name}", "(update|change) my first name to {first:name}",
        "my (insurance|insurance provider|insurance company) is {insurance}",
        "(update|change) my (insurance|insurance provider) to {insurance}",
        "my (insurance|insurance provider|insurance company) (changed|has changed|is changing|switched) to {insurance}",
        "i (have|am with|use) {insurance} (insurance|for insurance)", "i am insured (with|by|through) {insurance}",
        "(put|list|have|write) {insurance} [down] as my (insurance|insurance provider|insurance company|insurer)",
        slots={**_NAME, "insurance": "insurance_provider"}),
    *_t("record_symptoms", f"i {_HAVE} {{symptoms}}", f"i {_FEEL} {{symptoms}}", "my symptoms are {symptoms}",
        "(record|log|note) [my] symptoms {symptoms}", "(record|log|note) that i have {symptoms}"),
    *_t("record_symptoms", f"i {_HAVE} {{symptoms}} {{duration}}", f"i {_FEEL} {{symptoms}} {{duration}}",
        "my symptoms are {symptoms} {duration}", "i have been sick with {symptoms} {duration}",
        "(record|log|note) [my] symptoms {symptoms} {duration}"),
    *_t("record_symptoms", "(record|log|note) [my] symptoms", "i (am|feel) sick", "i am not feeling well",
        "i do not feel well"),
    *_t("book_appointment", f"{_WANT} (book|schedule|make|set up) [me] {_APPT} [for] {{when:date}} at {{time}} {_ANYONE}",
        f"{_WANT} (book|schedule|make|set up) [me] {_APPT} at {{time}} [for] {{when:date}}",
        f"{_WANT} {_APPT} [for] {{when:date}} at {{time}}", "(see|visit) (a|the) doctor [for] {when:date} at {time}",
        f"{_WANT} (book|schedule|make|set up) [me] {_APPT} [for] {{when:date}} at {{time}} (for|about|because of) {{reason}}",
        f"{_WANT} {_APPT} [for] {{when:date}} at {{time}} (for|about|because of) {{reason}}",
        "(see|visit) (a|the) doctor [for] {when:date} at {time} (for|about|because of) {reason}",
        slots=_BOOKING),
    *_t("book_appointment", f"{_WANT} (book|schedule|make|set up) [me] {_APPT} with {{provider}} [on] {{when:date}} at {{time}} [(for|about|because of) {{reason}}]",
        f"{_WANT} (book|schedule|make|set up) [me] {_APPT} [on] {{when:date}} at {{time}} with {{provider}} [(for|about|because of) {{reason}}]",
        f"{_WANT} {_APPT} [on] {{when:date}} at {{time}} with {{provider}} [(for|about|because of) {{reason}}]",
        slots=_BOOKING),
    *_t("book_appointment", f"{_WANT} (book|schedule|make|set up) [me] {_APPT} [for] {{when:date}}",
        f"{_WANT} {_APPT} [for] {{when:date}}", "(see|visit) (a|the) doctor [for] {when:date}", slots=_BOOKING),
    *_t("book_appointment", f"{_WANT} (book|schedule|make|set up) [me] {_APPT}", f"{_WANT} {_APPT}",
        "(see|visit) (a|the) doctor", f"{_WANT} (book|schedule|make|set up) [me] {_APPT} (for|about) {{reason}}"),
    *_t("list_appointments", "(what|when) are my appointments", "(list|show) [me] [all] my appointments",
        "do i have (a|an|any) [upcoming] [doctor|doctor's|doctors|medical] (appointment|appointments) [coming up|scheduled|booked]",
        "when is my next appointment", "what appointments do i have [coming up|scheduled|booked]",
        "(check|read) my appointments", "(read|tell|give|show) me my (upcoming|next) appointments"),
    *_t("cancel_appointment", "(cancel|delete|call off) [my|the] appointment (on|for) {appointment:booking}",
        "(cancel|delete|call off) [my|the] {appointment:booking} appointment",
        "i (cannot|can not) make [it to] my appointment (on|for) {appointment:booking}"),
    *_t("cancel_appointment", "(cancel|delete|call off) [my|the] appointment", "i (cannot|can not) make my appointment",
        fixed={"appointment": "my appointment"}),
    # the name the appointment is under, said as proof it is the caller's (these teach the argument its cues, so
    # "cancel my physical i do not have the code the name is ..." finds it too; a template of that very wording
    # made every "no code, the name is ..." sentence the clinic's, a restaurant booking's as well)
    *_t("cancel_appointment", "(cancel|call off) my {appointment:visit} under {who:booking_name}",
        slots={"who": "name_on_booking"}),
    *_t("cancel_appointment", "the code (you|that you) (texted|sent|gave) [me] is {texted_code:pin} [please] [go ahead and] (cancel|call off) [my|the] {appointment:booking} [appointment|visit] under [the name] {who:booking_name}",
        slots={"who": "name_on_booking"}),
    *_t("cancel_appointment", "the code (you|that you) (texted|sent|gave) [me] is {texted_code:pin} [please] [go ahead and] (cancel|call off) [it|my appointment|the appointment] [please]",
        "(cancel|call off) [my|the] appointment [and] the code (you|that you) (texted|sent|gave) [me] is {texted_code:pin}", fixed={"appointment": "my appointment"}),
)

# Everyday phrasings (see the productivity grammar's note).
_CLINIC = "(clinic|doctor|doctor's|doctors|practice)"
EVERYDAY = (
    *_t("register_patient", "(i would like to|i want to|can i|i need to|how do i) (become|be|register as|sign up as) a [new] patient",
        "(sign|signing) me up [at the clinic|as a patient]", "(sign|signing) up (at|with) the clinic"),
    *_t("register_patient", "(sign|signing) up (at|with) the clinic (my name is|name is|i am|this is) {first:name} {last:name} [born [on] {dob:birth_date}]",
        "(i would like to|i want to) (become|be) a [new] patient (my name is|i am|this is) {first:name} {last:name} [(born [on]|date of birth) {dob:birth_date}]",
        "(register|sign up|enroll) me [as a patient] first name {first:name} last name {last:name} [phone [number] {phone}]",
        slots=_NAME),
    *_t("update_patient", "(i switched|i changed|we switched) (insurance|my insurance|insurance providers|insurance companies|insurance company) [it is] [to] {insurance} [now]",
        "my (new|current) (insurance|insurance provider|insurance company) is {insurance}",
        "i (switched|moved|moved over) to {insurance} [for insurance|insurance] [now]",
        "my (last name|surname) is now {last:name}", "my new (last name|surname) is {last:name}",
        "i got married [so] my (last name|surname) is [now] {last:name}",
        slots={**_NAME, "insurance": "insurance_provider"}),
    *_t("record_symptoms", "i keep (getting|having) {symptoms}", "i (have been|am|keep) (having|getting) {symptoms}",
        "(been having|been getting) {symptoms}", "(my|i have) {symptoms} (since|for) {duration}",
        "my {symptoms} {duration}", "i (have|have got|have been having) {symptoms} for {duration} [now]"),
    *_t("book_appointment", "(can i|could i|may i|is it possible to|would it be possible to) (come in|get in|be seen|see the doctor|see someone) [{when:date}] [(at|around) {time}] [(for|about) {reason}]",
        "(book|put|get|pencil) me (in|down) for {reason} [{when:date}] [at {time}]",
        f"(schedule|book) me (with|at) the {_CLINIC} [{{when:date}}] [at {{time}}]",
        "(any chance|is there a chance) i (could|can) (get in|come in|be seen) [{when:date}] [at {time}] [(for|about) {reason}]",
        "{reason} needs (looking at|checking|to be looked at) can i come in [{when:date}]",
        "i (would want|would like|want|need) an appointment [{when:date}] [(in the morning|in the afternoon|morning|afternoon)] (for|about) {reason}",
        "(can|could) you (fit|squeeze|get) me in [(on|for)] {when:date} [at {time}] [(for|about) {reason}]",
        # "i'd like to see a doctor on monday morning, my knee is swollen"
        "(i would like|i want|i need|i have|i would love) to (see|get in to see|come in and see) (a|the|my) (doctor|nurse|someone) "
        "[on] {when:date} [(in the morning|in the afternoon|morning|afternoon)] [(for|about|because|since)] {reason}",
        "(can|could) i (get in to see|come in to see|see) (someone|a doctor|the doctor|a nurse) [on] {when:date} "
        "[(in the morning|in the afternoon|morning|afternoon)] [(for|about)] {reason}",
        slots=_BOOKING),
    # a kind of visit is also its reason: "could i get a physical next monday at eight", "schedule my annual
    # checkup for tomorrow", "my daughter needs her vaccinations can we do the fourth at four thirty"
    *_t("book_appointment", f"{_WANT} (book|schedule|make|set up|get|do) [me|us] [in for] {_WHOSE} {{reason:visit}} [appointment] [(for|on)] {{when:date}} [at {{time}}] {_ANYONE}",
        f"{_WANT} (book|schedule|make|set up|get|do) [me|us] [in for] {_WHOSE} {{reason:visit}} [appointment] at {{time}} [(for|on)] {{when:date}}",
        f"(can|could) (i|we|you) (get|have|book|schedule|do) [me|us] [in for] {_WHOSE} {{reason:visit}} [appointment] [(for|on)] {{when:date}} [at {{time}}]",
        f"(any chance|is there a chance) (i|we) (could|can) (get|have|book|do) {_WHOSE} {{reason:visit}} [(for|on)] {{when:date}} [at {{time}}]",
        f"(i|we|my (son|daughter|kid|child|husband|wife)|he|she) (need|needs) {_WHOSE} {{reason:visit}} [(can|could) (we|i) (do|come in|get in)] [(for|on)] {{when:date}} [at {{time}}]",
        f"{_WANT} (book|schedule|make|set up|get) [me|us] [in for] {_WHOSE} {{reason:visit}} [appointment]",
        f"(i|we) (need|want|would like) {_WHOSE} {{reason:visit}} [appointment]",
        "(book|put|get|pencil) me (in|down) for {when:date} [at {time}] (for|about) {reason}",
        slots=_BOOKING),
    *_t("list_appointments", f"(anything|is anything|do i have anything) booked for me (at|with) the {_CLINIC}",
        "(what|which) appointments (have i got|do i have) [coming up]", "when am i seeing the doctor [next|again]",
        "what time am i seeing the doctor [again]", "what time is my (appointment|doctor's appointment|clinic appointment)",
        "when is my (appointment|doctor's appointment|clinic appointment|next visit)"),
    *_t("cancel_appointment", "(cancel|drop|scrap|call off|delete) [the|my] {appointment:booking} [appointment|visit]",
        f"i (cannot|can not|will not be able to) make it to the {_CLINIC} [on] {{appointment:booking}} [please cancel|cancel it]",
        slots={"appointment": "appointment"}),
)

WORDS = (
    ToolWords("register_patient", offer="register you as a patient", asks=(Ask("first_name", "name", "Sure. What is your first name?"),
                                        Ask("last_name", "name", "And your last name?")),
              done=("Thanks {first_name}, you're registered.", "Thanks, you're registered.")),
    ToolWords("update_patient", offer="update your patient details", done=("Thanks, I updated your details.",)),
    ToolWords("record_symptoms", offer="note your symptoms for the clinic", asks=(Ask("symptoms", "symptoms", "What symptoms are you having?"),),
              done=("Thanks, I noted {symptoms} for the clinic's staff. {next_step}",
                    "Thanks, I noted {symptoms} for the clinic's staff.")),
    ToolWords("book_appointment", offer="book a doctor's appointment", asks=(Ask("date", "date", "What day would you like to come in?"),
                                        Ask("time", "time", "What time works for you?")), details="reason",
              done=("You're booked for {when}. Your confirmation code is {confirmation_code}.", "You're booked for {when}.",
                    "You're booked for {date} at {time}.")),
    ToolWords("list_appointments", offer="tell you your appointments", items=("appointment", "appointments"),
              label=("{when} for {reason}", "{when}"), empty="You have no upcoming appointments."),
    ToolWords("cancel_appointment", offer="cancel an appointment", asks=(Ask("appointment", "booking", "Which appointment? Tell me the day."),),
              confirm="Cancel {appointment}? Say yes to confirm.", ref="appointment", lookup="list_appointments",
              answers=proof_answers("appointment"),
              done=("Okay, your appointment on {when} is cancelled.", "Okay, your appointment is cancelled.")),
)

GRAMMAR = DomainGrammar(
    domain="healthcare",
    capabilities=("doctor's appointments",),
    examples=("book a doctor's appointment tomorrow at ten am", "I've had a headache for three days"),
    templates=(*TEMPLATES, *EVERYDAY),
    tools=WORDS,
    phrasings=load_phrasings(Path(__file__).with_name("phrasings.jsonl")),
    slot_types=slots.TYPES,
    synonyms=tuple(slots.SYNONYMS.items()),
)
