"""What callers say about teams: making one, who is on it, adding and removing members, their roles, a team's
todos, and finding a person (the productivity grammar's team templates, kept in their own module)."""

from __future__ import annotations

from functools import partial

from core.grammar.templates import phrasings

_t = partial(phrasings, "productivity")

_MAKE = "(add|create|make|start|put in)"
_TODO = "(todo|task|to do)"
_NAMED = "(to|for|called|named|that says|saying|about)"
_DUE = "[due|for|by|on]"

TEAMS = (
    *_t("create_team",
        # "create a team named den four parents and for the description put cub scout carpools"
        "(create|make|start|set up|form) a [new] (team|group) (called|named) {name:team} (and|with) [for] [the] description"
        " [put|say|is|should be|as|of] {description}",
        # "let's make one called the larkspur lane book club" (a team said before)
        "[so] [let us] (make|create|start|set up) [a new] one (called|named) {name:team}"),
    *_t("create_team", "(create|make|start|set up|form) a [new] team (called|named) {name:team}",
        "(create|make|start|set up|form) a [new] (team|group) (called|named) {name:team} (it is|that is|which is) {description}",
        "(create|make|start|set up|form) a [new] (team|group) [called|named] {name:team} (it is for|that is for|which is for|for) {description}",
        "(create|make|start|set up|form) a [new] team for [the] {name:team}",
        "(create|make|start|set up|form) a [new] {name:team} team"),
    *_t("create_team", "(create|make|start|set up|form) a [new] team"),
    *_t("get_teams", "(what|which) teams (am i|i am) (in|on|a member of|part of)", "(list|show) [me] [all] my teams",
        "what are my teams", "what teams do i (have|belong to)", "(list|show) [me] [all] [the] teams",
        "(what|which) teams (have i joined|am i on)"),
    *_t("get_team_members", "who is (on|in) [the] {team} team", "who is (on|in) team {team}",
        "who (are|is) [the] (members|people) (of|on|in) [the] {team} team",
        "(list|show|tell) [me] [the] (members|people) (of|on|in) [the] {team} team",
        "(list|show) [me] [the] {team} team members", "who (belongs to|is part of) [the] {team} team"),
    *_t("get_team_members", "(list|show) [me] [the] team members", "who is on my team"),
    *_t("create_team_todo", f"{_MAKE} [a|an] (todo|task) for [the] {{team}} team {_NAMED} {{title}}",
        "(add|put) {title} (on|to) the {team} (team's|team) (todo list|list|todos)",
        "(assign|give|hand) {title} to the {team} team", f"(put|add) (a|an) {_TODO} (on|for) the {{team}} team {_NAMED} {{title}}",
        slots={"team": "team"}),
    *_t("create_team_todo", f"{_MAKE} (a|an) {{priority}} [priority] (todo|task) for [the] {{team}} team {_NAMED} {{title}}"),
    *_t("create_team_todo", f"{_MAKE} [a|an] (todo|task) for [the] {{team}} team {_NAMED} {{title}} {_DUE} {{due:date}}",
        slots={"due": "due_date"}),
    *_t("create_team_todo",
        f"{_MAKE} [a|an] (todo|task) for [the] {{team}} team {_NAMED} {{title}} [and] assign [it] to {{who:email}}",
        "(assign|give) {title} to {who:email} (on|in|for) the {team} team",
        slots={"who": "assignee_email"}),
    # the title straight after the team: "team todo for marketing draft the newsletter"
    *_t("create_team_todo", f"[new|a|add a|put a] [{{priority}} [priority]] team {_TODO} for [the] {{team}} {{title}}",
        f"(new|a|add a|put a|add an|put an) [{{priority}} [priority]] {_TODO} (for|on) the {{team}} team {{title}}"),
    *_t("create_team_todo", f"{_MAKE} [a|an] (todo|task) for [the] {{team}} team",
        f"{_MAKE} [a|an] team (todo|task)"),
    *_t("add_team_member", "(add|invite) {email} to [join] [the] {team} team",
        "(add|invite) {email} to [join] [the] {team} team as (a|an) {role}",
        "(add|invite) {email} as (a|an) {role} (to|on|in) [the] {team} team",
        "(add|invite) {email} to team {team} [as (a|an) {role}]", "(add|invite) {email} to {team}"),
    *_t("add_team_member", "(add|invite) [a|an] [new] (member|person|someone) to [the] {team} team",
        "(add|invite) [a|an] [new] team member"),
    *_t("remove_team_member", "(remove|delete|kick) {email} (from|off|out of) [the] {team} team",
        "(remove|delete|take) {email} (from|off) team {team}", "(remove|delete|kick) {email} (from|off|out of) {team}"),
    *_t("remove_team_member", "(remove|delete) [a|an] (member|person|someone) from [the] {team} team"),
    *_t("change_member_role", "(make|set) {email} (a|an) {role} (on|in|of|for) [the] {team} team",
        "(change|switch) {email} to (a|an) {role} (on|in) [the] {team} team",
        "change the role of {email} (on|in) [the] {team} team to {role}",
        "(promote|demote) {email} to [a|an] {role} (on|in) [the] {team} team",
        "(change|set) {email} role (on|in) [the] {team} team to {role}",
        "give {email} {role} (rights|access|permissions|privileges) (on|in|to|for) [the] {team} team"),
    *_t("search_users", "(search|look) for [a|the] (user|users|people|person|someone) (named|called) {query}",
        "(find|look up|search for) [the] (user|users|person) {query}", "search [the] users for {query}",
        "is there a (user|person|member) (named|called) {query}", "(find|look up) {query} in the directory",
        "(search|look) for {query} in [the] users",
        "(find|look up|search for|look for) (someone|anyone|a user|a person|users|people) (named|called) {query}"),
    *_t("search_users", "(search|find|look up) [a|the] (user|users|people)"),
)
