"""The `convonet` command: serve, migrate, seed, create-user, line, settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from core.config import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        sys.exit(f"convonet: {exc}")


def cmd_migrate(_args: argparse.Namespace) -> None:
    from core.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url)
    print(f"database at head: {settings.effective_database_url.split('@')[-1]}")


async def _with_runtime(settings: Settings, work):  # type: ignore[no-untyped-def]
    from core.runtime import Runtime

    runtime = Runtime.build(settings)
    try:
        return await work(runtime)
    finally:
        await runtime.close()


def cmd_seed(_args: argparse.Namespace) -> None:
    from api.seed import seed_demo

    settings = _settings()
    if settings.environment == "production":
        sys.exit("convonet: seed creates a demo staff account with a published password and PIN; "
                 "it is refused in production (use `convonet create-user`).")
    result = asyncio.run(_with_runtime(settings, seed_demo))
    state = "created" if result.created else "already present"
    print(f"demo user {state}:")
    print(f"  email    {result.email}")
    print(f"  password {result.password}")
    print(f"  voice PIN {result.pin}")
    print(f"  team     {result.team}")


def cmd_create_user(args: argparse.Namespace) -> None:
    from core import accounts
    from core.errors import DomainError

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session, session.begin():
            return await accounts.register_user(
                session,
                email=args.email,
                password=args.password,
                first_name=args.first_name,
                last_name=args.last_name,
                voice_pin=args.pin,
                phone_number=args.phone,
                is_staff=args.staff,
            )

    try:
        user = asyncio.run(_with_runtime(_settings(), work))
    except DomainError as exc:
        sys.exit(f"convonet: {exc.message}")
    print(f"created {user.email} ({user.id}){' as staff' if user.is_staff else ''}")


def cmd_grant_staff(args: argparse.Namespace) -> None:
    from core import accounts

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session, session.begin():
            user = await accounts.get_user_by_email(session, args.email)
            if user is None:
                return None
            if args.clinical:  # the clinical role alone: staff access stays as it is
                user.is_clinical = not args.revoke
            else:
                user.is_staff = not args.revoke
                user.is_clinical = user.is_clinical and user.is_staff
            session.add(user)
            return user

    user = asyncio.run(_with_runtime(_settings(), work))
    if user is None:
        sys.exit(f"convonet: no user has the email {args.email}")
    role = "clinical role" if args.clinical else "staff"
    print(f"{user.email}: {role} {'revoked' if args.revoke else 'granted'}")


def cmd_mcp(args: argparse.Namespace) -> None:
    from api.mcp_server import serve_stdio
    from core import accounts

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session:
            user = await accounts.get_user_by_email(session, args.user)
        if user is None or not user.is_active:
            return None
        await serve_stdio(runtime, user.id)
        return user

    if asyncio.run(_with_runtime(_settings(), work)) is None:
        sys.exit(f"convonet: no active user with email {args.user!r}; create one with `convonet create-user`.")


def cmd_serve(args: argparse.Namespace) -> None:
    import contextlib
    import os
    import tempfile
    from pathlib import Path

    from api.serve import Workers, listen, preload, serve_process
    from core.config import export_library_environment
    from core.db import is_sqlite
    from core.metrics import shared_between_workers

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    shared = bool(settings.redis_url) and not is_sqlite(settings.effective_database_url)
    workers = args.workers or settings.workers or ((os.cpu_count() or 1) if shared else 1)
    if workers > 1 and not shared:
        sys.exit(f"convonet: {workers} workers need a shared database and store: set DATABASE_URL to PostgreSQL "
                 "(postgresql+asyncpg://...) and REDIS_URL (redis://...), or run one worker (--workers 1). "
                 "SQLite and the in-process store are one process's own.")
    print(f"Convonet on http://{host}:{port}  (docs: /docs, health: /health, {workers} "
          f"worker{'s' if workers > 1 else ''})")
    if settings.environment == "production" and settings.forwarded_allow_ips == "127.0.0.1":
        print("convonet: FORWARDED_ALLOW_IPS is 127.0.0.1: behind a load balancer, set it to the balancer's address, "
              "or every client is counted as the balancer (one shared sign-in rate limit).", file=sys.stderr)
    public = listen(host, port)
    with contextlib.ExitStack() as stack:
        metrics_dir = settings.metrics_dir
        if metrics_dir is None and workers > 1:  # one /metrics per machine needs a directory the workers share
            metrics_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="convonet-metrics-")))
        settings = settings.model_copy(update={"metrics_dir": metrics_dir, "workers": workers})
        export_library_environment(settings)
        if metrics_dir is not None:
            stack.enter_context(shared_between_workers(metrics_dir))
        if workers == 1:
            serve_process(settings, public)
            return
        speech = preload(settings)
        code = Workers(settings, public, workers, speech).run()
    sys.exit(code)


def cmd_purge(args: argparse.Namespace) -> None:
    from api.retention import purge
    from bots.agent.checkpoint import open_checkpointer
    from core.runtime import Runtime

    settings = _settings()
    days = args.days or settings.retention_days
    if not days:
        sys.exit("convonet: give --days or set RETENTION_DAYS.")

    async def work(runtime: Runtime) -> object:
        async with open_checkpointer(settings) as checkpointer:
            return await purge(runtime, days, checkpointer.adelete_thread)

    print(f"purged, older than {days} days: {asyncio.run(_with_runtime(settings, work))}")


def cmd_line_set(args: argparse.Namespace) -> None:
    from core import lines
    from core.errors import DomainError
    from domains import registry

    domains = args.domains.split(",") if args.domains is not None else None

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session, session.begin():
            return await lines.set_line(session, args.number, known_domains=registry.names(), name=args.name,
                                        domains=domains, greeting=args.greeting, access=args.access)

    try:
        line, created = asyncio.run(_with_runtime(_settings(), work))
    except DomainError as exc:
        sys.exit(f"convonet: {exc.message}")
    print(f"{'created' if created else 'changed'} {_describe_line(line)}")


def _describe_line(line) -> str:  # type: ignore[no-untyped-def]
    served = ",".join(line.domains) or "all domains"
    return f"{line.number}  {line.access:<6}  {line.name}  ({served})"


def cmd_line_list(_args: argparse.Namespace) -> None:
    from core import lines

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session:
            return await lines.list_lines(session)

    found = asyncio.run(_with_runtime(_settings(), work))
    for line in found:
        print(_describe_line(line))
    if not found:
        print("no lines: every number is a PIN line serving all domains")


def cmd_line_delete(args: argparse.Namespace) -> None:
    from core import lines
    from core.errors import DomainError

    async def work(runtime):  # type: ignore[no-untyped-def]
        async with runtime.sessions() as session, session.begin():
            await lines.delete_line(session, args.number)

    try:
        asyncio.run(_with_runtime(_settings(), work))
    except DomainError as exc:
        sys.exit(f"convonet: {exc.message}")
    print(f"deleted the line of {args.number}")


def cmd_settings(_args: argparse.Namespace) -> None:
    from core.settings_doc import settings_table

    print(settings_table())


def cmd_say(args: argparse.Namespace) -> None:
    from bots.text import print_json, say
    from core.errors import DomainError

    try:
        print_json(asyncio.run(_with_runtime(_settings(), lambda rt: say(rt, args.user, args.text, args.thread))))
    except DomainError as exc:
        sys.exit(f"convonet: {exc.message}")


def cmd_chat(args: argparse.Namespace) -> None:
    from bots.text import chat
    from core.errors import DomainError

    try:
        asyncio.run(_with_runtime(_settings(), lambda rt: chat(rt, args.user, args.thread)))
    except DomainError as exc:
        sys.exit(f"convonet: {exc.message}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convonet", description="Convonet voice AI platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API, voice endpoints and dashboards")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, metavar="N",
                       help="processes, each with its own event loop (default WORKERS, or one per core with "
                            "PostgreSQL and Redis, else 1)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema to the latest revision").set_defaults(func=cmd_migrate)
    sub.add_parser("seed", help="create the demo user, PIN and team").set_defaults(func=cmd_seed)
    sub.add_parser("settings", help="print every setting as a Markdown table").set_defaults(func=cmd_settings)
    purge = sub.add_parser("purge", help="delete call transcripts, recordings and monitor records past retention")
    purge.add_argument("--days", type=int, help="older than this many days (default RETENTION_DAYS)")
    purge.set_defaults(func=cmd_purge)

    say = sub.add_parser("say", help="send one utterance to the agent and print JSON")
    say.add_argument("--user", required=True, help="the caller's email")
    say.add_argument("--thread", help="thread id to continue (default: the user's text thread)")
    say.add_argument("text")
    say.set_defaults(func=cmd_say)

    chat = sub.add_parser("chat", help="talk to the agent in the terminal")
    chat.add_argument("--user", required=True, help="the caller's email")
    chat.add_argument("--thread", help="thread id to continue")
    chat.set_defaults(func=cmd_chat)

    create = sub.add_parser("create-user", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--pin", help="voice PIN, 4-6 digits")
    create.add_argument("--phone", help="phone number for caller lookup")
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.add_argument("--staff", action="store_true", help="may use the monitor, staff lists and call center")
    create.set_defaults(func=cmd_create_user)

    grant = sub.add_parser("grant-staff", help="give (or --revoke) a user staff access")
    grant.add_argument("email")
    grant.add_argument("--revoke", action="store_true")
    grant.add_argument("--clinical", action="store_true",
                       help="the clinical role: reads health details (clinic intake) others see withheld")
    grant.set_defaults(func=cmd_grant_staff)

    line = sub.add_parser("line", help="the business's phone lines: which number answers how")
    line_sub = line.add_subparsers(dest="line_command", required=True)
    line_set = line_sub.add_parser("set", help="create or change the line of a number (the Twilio webhook's To)")
    line_set.add_argument("number", help="the number, in international form: +15550100000")
    line_set.add_argument("--name", help='what callers are told they reached, e.g. "Hanok Table"')
    line_set.add_argument("--domains", help="comma-separated names of the domains the line serves (empty: all)")
    line_set.add_argument("--greeting", help="what a public line says when it answers")
    access = line_set.add_mutually_exclusive_group()
    access.add_argument("--public", dest="access", action="store_const", const="public",
                        help="anyone may call; no PIN; callers are contacts known by caller ID")
    access.add_argument("--pin", dest="access", action="store_const", const="pin",
                        help="the personal assistant: caller ID and voice PIN open an account (the default)")
    line_set.set_defaults(func=cmd_line_set, access=None)
    line_sub.add_parser("list", help="list the lines").set_defaults(func=cmd_line_list)
    line_delete = line_sub.add_parser("delete", help="remove a number's line (it becomes a default PIN line)")
    line_delete.add_argument("number")
    line_delete.set_defaults(func=cmd_line_delete)

    mcp = sub.add_parser("mcp", help="serve every tool over MCP on stdin/stdout, as one user")
    mcp.add_argument("--user", required=True, metavar="EMAIL", help="the account every tool call acts for")
    mcp.set_defaults(func=cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
