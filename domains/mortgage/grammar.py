"""What callers say while applying for a mortgage, and what the assistant says back."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.grammar.templates import Ask, DomainGrammar, ToolWords, load_phrasings, phrasings
from domains.mortgage import slots

_t = partial(phrasings, "mortgage")

_APP = "(mortgage|home loan|loan) application"
_HOME = "(home|house|property|place|condo)"
_YEARLY = "[a year|per year|annually|each year|every year]"
_MONEY_SLOTS = {"income": "annual_income", "value": "property_value", "amount": "loan_amount", "down": "down_payment"}

TEMPLATES = (
    *_t("start_mortgage_application", f"(start|begin|open|create) [a|an|my] [new] {_APP}",
        "apply for a (mortgage|home loan)", "(get|start) (a|the) mortgage [process] started"),
    *_t("start_mortgage_application", f"(get|apply for) a (mortgage|home loan|loan) to (buy|purchase) a {_HOME}",
        fixed={"loan_purpose": "purchase"}),
    *_t("start_mortgage_application", f"(start|begin|open|create) [a|an] [new] {{loan_purpose}} {_APP}",
        "apply for a {loan_purpose} [loan|mortgage]", "(start|begin) [a|an] {loan_purpose} [application]"),
    *_t("start_mortgage_application", "refinance my (mortgage|home|house|loan)",
        "(apply|get approved) for a refinance", fixed={"loan_purpose": "refinance"}),
    *_t("update_mortgage_application", f"my [annual|yearly|household] (income|salary|pay) is {{income:money}} {_YEARLY}",
        f"i (make|earn|bring in) {{income:money}} {_YEARLY}", f"(we|i) make {{income:money}} {_YEARLY} together",
        "(set|update|change) my [annual] (income|salary) to {income:money}",
        "(set|update|change|make) (my|the) (loan amount|loan) to {amount:money}",
        "(set|update|change|make) (my|the) down payment to {down:money}",
        f"(set|update|change) (my|the) ({_HOME} value|home price|purchase price|price of the {_HOME}) to {{value:money}}",
        f"(the|my) {_HOME} is worth {{value:money}}", f"the {_HOME} (value|price) is {{value:money}}",
        f"the {_HOME} costs {{value:money}}", f"i am buying a {_HOME} (for|worth) {{value:money}}",
        "(i want to|i would like to|i need to) borrow {amount:money}", "borrow {amount:money}",
        "the loan amount (is|should be) {amount:money}", "i need a loan (of|for) {amount:money}",
        "(i have|i can put down|i will put down|i am putting down|i can do) {down:money} (for|as) [a|the|my] down payment",
        "my down payment (is|will be) {down:money}", "(i will put|i can put|i am putting|i plan to put|put) {down:money} down",
        f"[the] {_HOME} is worth {{value:money}} and i (want|need) to borrow {{amount:money}}",
        # what is left to pay on a loan being refinanced is the loan amount
        f"(i|we) [still] owe {{amount:money}} [on (the|my|our) ({_HOME}|mortgage|loan)]",
        "(refinance|refi) (the|my|our) {amount:money} [that] (i|we) [still] owe",
        "(the|my|our) [remaining|loan|mortgage] (balance|payoff) is {amount:money}",
        "(i|we) have {amount:money} (left|remaining) on (the|my|our) (mortgage|loan)",
        slots=_MONEY_SLOTS),
    *_t("update_mortgage_application", "i am [currently|now] {status:employment_status}",
        # "on the loan application put that i'm retired": what to write on it, said as a clause
        f"[(on|for) (my|the|our) {_APP}] (put|mark|say|write|note|put down) that i am [currently|now] {{status:employment_status}}"
        f" [(on|for) (my|the|our) {_APP}]",
        "my (employment status|job status) is {status:employment_status}", "i work (as|for) {status:employment_status}",
        "(put|mark|list|have) me [down] as {status:employment_status}",
        slots={"status": "employment_status"}),
    *_t("update_mortgage_application", "i work for myself", "i (run|own) my own business",
        fixed={"employment_status": "self_employed"}),
    *_t("update_mortgage_application", "i (have|work) a (full time|regular) job", fixed={"employment_status": "employed"}),
    *_t("update_mortgage_application", "i (just|recently) (lost my job|got laid off|was laid off|got let go)",
        "i (lost my job|got laid off|was laid off|got let go) [recently|last month|last week|this year]",
        fixed={"employment_status": "unemployed"}),
    *_t("update_mortgage_application", "my credit [score|rating] is {credit:credit_score_range}",
        "i have {credit:credit_score_range} credit", "my credit score is (about|around) {credit:credit_score_range}",
        slots={"credit": "credit_score_range"}),
    *_t("update_mortgage_application",
        f"i (make|earn) {{income:money}} {_YEARLY} and i am {{status:employment_status}}",
        f"i am {{status:employment_status}} (making|earning|bringing in) {{income:money}} {_YEARLY}",
        slots={"income": "annual_income", "status": "employment_status"}),
    *_t("get_mortgage_application_status",
        "where (am i|are we|do i stand|do we stand|do things stand) (in|with) (the|my|our) (approval|application|loan|mortgage) [process]",
        "where does my (application|loan|mortgage|approval) stand", "how far along is my (application|loan|mortgage)"),
    *_t("get_mortgage_application_status", f"what is the status of my [{_APP}|application]",
        f"(how|where) is my {_APP}",
        "(check|what is) [the|my] application status", "how is my application (going|coming along|doing)",
        "where are we with my (mortgage|loan|application)", f"(check|what is) the status of my {_APP}",
        f"has my {_APP} been approved [yet]"),
    *_t("get_required_documents", "what (documents|paperwork|papers) do (i|you) need",
        "what (documents|paperwork) (are required|do i have to (send|submit|upload|provide))",
        "(which|what) documents (are|is) [still] (missing|outstanding|needed|required)",
        "what else do you need from me", "(list|tell me) the (required|needed) documents",
        "what do i need to (send|submit|upload|provide)"),
    *_t("mark_document_received", "i [just|already] (sent|uploaded|submitted|emailed|mailed|faxed) [you] [my|the] {document}",
        "mark [my|the] {document} as received", "you should [now] have [my|the] {document}",
        "(i have|i have already|i have just) (sent|uploaded|submitted|turned in|handed in|sent in|dropped off) [you] [my|the] {document}"),
    *_t("estimate_monthly_payment", "what (would|will) my monthly payment be",
        "(estimate|calculate|figure out) my [monthly] (payment|mortgage payment)",
        "how much (would|will) i pay (a|per|each) month", "what (would|will) my (payment|payments) be",
        "what (would|will) i pay (monthly|a month|per month|each month)"),
    *_t("estimate_monthly_payment",
        "(estimate|calculate|what is|what would be) [my|the] monthly payment (for|on) [a|an] {amount:money} [loan|mortgage]"
        " [at {rate:percent} [interest]] [(over|for) {term:years} years]",
        "(how much|what) (would|will) i pay ((a|per|each) month|monthly) (for|on) [a|an] {amount:money} [loan|mortgage]"
        " [at {rate:percent} [interest]] [(over|for) {term:years} years]",
        "what is the payment on [a|an] {amount:money} [loan|mortgage] at {rate:percent} [(over|for) {term:years} years]",
        "(estimate|calculate) [my|the] monthly payment at {rate:percent} [interest] [(over|for) {term:years} years]",
        "what (would|will) my monthly payment be at {rate:percent} [interest]",
        "(what about|how about|what if i get) a {term:years} year (loan|mortgage|term)",
        "what (would|will) my payment be on a {term:years} year (loan|mortgage)",
        slots={"amount": "loan_amount", "rate": "interest_rate", "term": "term_years"}),
)

# Everyday phrasings (see the productivity grammar's note).
_WE = "(i|we)"
_KIND = "(refinance|refi|purchase|home purchase)"
_NEEDS = "(want|would like|need|am looking|are looking|am trying|are trying|wanna|hope)"
EVERYDAY = (
    *_t("start_mortgage_application", f"{_WE} {_NEEDS} [to] (get|have|take out|apply for|start) (a|an) (mortgage|home loan|loan|mortgage application)",
        "(how do i|how can i|can i|can we|how do we) (start|begin|get|apply for|open) (a|an|my) (mortgage|home loan|loan|mortgage application|home loan application|loan application)",
        "(i would like|we would like|i want|we want|i need|we need) (a mortgage|a home loan|a loan for a house)",
        "(help me|can you help me) (get|with) a (mortgage|home loan)"),
    *_t("start_mortgage_application", f"{_WE} (are|am) (buying|purchasing) [our|my|a] [first] {_HOME} and {_WE} {_NEEDS} [to] (get|apply for) a (mortgage|home loan|loan)",
        f"{_WE} (found|are buying|want to buy|would like to buy) a {_HOME} [and {_WE} (need|want) a (mortgage|loan)]",
        fixed={"loan_purpose": "purchase"}),
    *_t("start_mortgage_application", f"{_WE} {_NEEDS} [to] (refinance|refi) [our|my|the] (home|house|mortgage|loan|place|condo) [at a lower rate]",
        "(refinance|refi) [our|my] (home|house|mortgage|loan|place) [at a lower rate]", fixed={"loan_purpose": "refinance"}),
    *_t("update_mortgage_application", f"(the|our|my) {_HOME} is (listed|priced|selling|going|on the market) (at|for) {{value:money}}",
        f"(the|our|my) {_HOME} is worth (about|around|roughly) {{value:money}}",
        f"(the|our|my) {_HOME} is [about|around] {{value:money}} and {_WE} (are|am|will be) putting [down] {{down:money}} [down]",
        f"{_WE} (can|will|could|plan to|are going to) put down {{down:money}}",
        f"{_WE} (have|saved|saved up) {{down:money}} (to put down|for the down payment|for a down payment)",
        f"{_WE} (want|need|would like|hope) to borrow [about|around] {{amount:money}}",
        f"(my|our) (income|salary|pay|pension) (is|comes to) (about|around|roughly) {{income:money}} {_YEARLY}",
        f"{_WE} (make|earn|bring in|bring home) (about|around|roughly) {{income:money}} {_YEARLY}", slots=_MONEY_SLOTS),
    *_t("update_mortgage_application", "my credit [score] is [pretty|probably|honestly|really|very] {credit:credit_score_range}",
        "my credit is [honestly] not great [probably] {credit:credit_score_range}",
        "i (would say|think) my credit is [pretty|probably] {credit:credit_score_range}", slots={"credit": "credit_score_range"}),
    *_t("update_mortgage_application", "i am (employed|working) full time", "i have a full time job",
        fixed={"employment_status": "employed"}),
    *_t("update_mortgage_application", "i am retired", "i (retired|have retired) [last year]", fixed={"employment_status": "retired"}),
    *_t("update_mortgage_application", "i [just] (got|started|found|landed) a [new] (job|position) [last (week|month)]",
        "i (started|start) [my] [new] (job|work) [last (week|month)|next (week|month)]", fixed={"employment_status": "employed"}),
    *_t("get_mortgage_application_status", f"(any|what is the) (update|news|progress) (on|with) (my|our|the) (mortgage|loan|application|{_APP})",
        # the application named by its kind ("the status of the refinance application")
        f"(what is|tell me|show me|give me|check) the status of (my|our|the) {_KIND} application",
        "what happens next with (my|our|the) (mortgage|loan|application)",
        "where does (my|our|the) (application|loan|mortgage) stand", "(is|was) my (loan|mortgage) approved [yet]",
        "how far along is my (application|mortgage|loan)"),
    *_t("get_required_documents", "(what|which) (documents|papers|paperwork) do (you|you guys|i|we) need [to send] [from me|from us] [for the (mortgage|loan|refinance|application)]",
        "(give|tell) me the list of (documents|paperwork|papers) [the (loan|mortgage|application) (needs|requires)]",
        "what (documents|papers|paperwork) (does|do) (the loan|my application|the mortgage|the refinance) (need|require)",
        "what (documents|papers|paperwork) do i (need|have) to (send|bring|submit|provide) [for the (mortgage|loan|refinance)]",
        "(do you|does the (bank|lender|underwriter)) need anything else from (me|us)"),
    *_t("mark_document_received", "i [just|already] (sent|uploaded|submitted|emailed|mailed|faxed|dropped off|sent over|sent in) [you] [my|the|our] [last|latest|recent] [few|two|three] {document} [this morning|today|yesterday]",
        "(here are|here is|i have got|i have) [my|the] {document:named_document} [for you]",
        # "i scanned my photo id and emailed it": made ready, then sent
        "i (scanned|copied|signed|printed|filled out) [my|the|our] {document:named_document} and (emailed|sent|uploaded|faxed|mailed)"
        " (it|them) [over|in|off] [to you]",
        "[my|the|our] {document:named_document} (are|is|should be|ought to be) [all] (in|there|uploaded|submitted|sent|"
        "in your inbox|on their way|on the way|[uploaded|submitted] (in|on|up on|to|through) (your|the) (portal|system|inbox|website|site|app"
        "|upload page|email)) [now|already]"
        " [(i|we) (sent|emailed|uploaded|faxed|mailed|scanned|dropped off) (them|it) [over|in|off] [this morning|today|yesterday|last night]]",
        "[my|the|our] {document:named_document} (went|were sent|was sent|got sent|came through|went through|went out|were uploaded"
        "|was uploaded|was emailed|were emailed|was faxed|were faxed|was mailed|were mailed) "
        "[today|yesterday|this morning|last night|(a|an|a few|a couple of|two|three) (minutes|hour|hours|days|weeks) ago]",
        # paper sent by post or fax: "my w2 went [out] in the mail to you on friday", "the returns are in the mail"
        "[my|the|our] {document:named_document} (went|were sent|was sent|got sent|went out) (in the mail|by mail|by fax|by email)"
        " [to you] [today|yesterday|this morning|last night|last week]",
        "[my|the|our] {document:named_document} (are|is) in the mail [to you] [(i|we) (sent|mailed|posted) (them|it) "
        "[today|yesterday|this morning|last week]]",
        "[my|the|our] {document:named_document} (are|is) (in|there|uploaded) [now] [so] mark (it|them|that) [as] received"),
    *_t("estimate_monthly_payment", "[roughly|about] how much (a|per|each) month (am i|are we|would i be|would we be) looking at",
        "what (would|will) (i|we) (pay|be paying) (monthly|a month|per month|each month)",
        "what is the monthly (payment|cost) [going to be|gonna be]",
        "if i (borrowed|borrow|took out) {amount:money} [(for|over) {term:years} years] what (is|would be|will be) the [monthly] payment",
        "at [like|about|around] {rate:percent} what (would|will) i pay (monthly|a month|per month)",
        "(if|say) the (rate|interest rate|interest) is {rate:percent} what (is|would be|will be) (my|the) (monthly|payment|monthly payment)",
        "what (would|will) my (monthly payment|payment) be on {amount:money} at {rate:percent} [(over|for) {term:years} years]",
        slots={"amount": "loan_amount", "rate": "interest_rate", "term": "term_years"}),
)

WORDS = (
    ToolWords("start_mortgage_application", offer="start a mortgage application",
              done=("I started your {loan_purpose} application. {next_step}", "I started your application.")),
    ToolWords("update_mortgage_application", offer="update your mortgage application", done=("Got it. {next_step}", "Got it, I updated your application.")),
    ToolWords("get_mortgage_application_status", offer="check on your mortgage application",
              done=("Your application is {status}. {next_step}", "Your application is {status}.")),
    ToolWords("get_required_documents", offer="tell you which documents your application needs", items=("document", "documents"), intro="Your application needs",
              label=("{document}", "{name}"), empty="Your application needs no documents yet."),
    ToolWords("mark_document_received", offer="mark a document as received",
              asks=(Ask("document", "document", "Which document did you send?"),), done=("Thanks, I marked your {document} as received. {next_step}",
                                              "Thanks, I marked your {document} as received.")),
    ToolWords("estimate_monthly_payment", offer="estimate your monthly payment",
              done=("Your estimated monthly payment is about {monthly_payment}, for {loan_amount} at "
                    "{interest_rate} over {term_years} years.",
                    "Your estimated monthly payment is about {monthly_payment}.")),
)

GRAMMAR = DomainGrammar(
    domain="mortgage",
    capabilities=("mortgage applications",),
    examples=("start a mortgage application", "what would my monthly payment be"),
    templates=(*TEMPLATES, *EVERYDAY),
    tools=WORDS,
    phrasings=load_phrasings(Path(__file__).with_name("phrasings.jsonl")),
    slot_types=slots.TYPES, synonyms=tuple(slots.SYNONYMS.items()),
)
