"""Settings: the one place the environment (and `.env`) is read."""

from __future__ import annotations

import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "jwt-secret", "your-secret-key"})


class SettingsError(RuntimeError):
    """The configuration cannot be used as it stands."""


class Settings(BaseSettings):
    """Every knob of Convonet. Each field's description is the README's settings table."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- runtime -----------------------------------------------------------------------------
    environment: Literal["development", "test", "production"] = Field(
        "development", description="`production` refuses placeholder secrets; `development` generates a JWT secret under DATA_DIR."
    )
    data_dir: Path = Field(Path("./data"), description="Where the SQLite file, the dev JWT secret and speech models live.")
    host: str = Field("127.0.0.1", description="Address `convonet serve` binds.")
    port: int = Field(8000, description="Port `convonet serve` binds.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses or networks). "
        "Behind a load balancer set its address, or every client shares one sign-in rate limit; `*` trusts anyone.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="URL the outside world reaches this server on; TwiML stream URLs use it (https → wss).",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    max_calls_per_process: int | None = Field(
        8, ge=1,
        description="Calls one process carries at once (phone and browser); past it a phone call hears that the "
        "lines are busy and a browser call gets 503. The README's capacity figures say where calls degrade.",
    )
    load_threshold: float | None = Field(
        0.75, gt=0,
        description="CPU a process may use (cores, a 10 s moving average of its threads and speech workers) before it "
        "declines new "
        "calls: /health/ready then answers 503 \"full\" and a new call goes to another process; only when none "
        "takes it does the caller hear that the lines are busy. Unset: no load limit.",
    )
    loop_lag_threshold: float | None = Field(
        0.2, gt=0,
        description="Seconds the process's event loop may run late (a moving average of how late a 0.5 s timer fires, "
        "over its last 10 wake-ups) before it declines new calls, as for LOAD_THRESHOLD: a loop that lags delivers its calls' audio "
        "late, whether it is saturated or starved of CPU by other processes. Unset: no lag limit.",
    )
    workers: int | None = Field(
        None, ge=1,
        description="Processes `convonet serve` runs (each its own event loop); default one per core with "
        "PostgreSQL and Redis, else 1. More than one needs both (`--workers` overrides).",
    )
    internal_host: str = Field(
        "127.0.0.1",
        description="Address each `convonet serve` process binds its own port on, where other processes forward "
        "a call's requests (browser ICE, the agent's audio leg). `0.0.0.0` when processes run on several machines.",
    )
    internal_port: int = Field(
        0, ge=0, le=65535,
        description="First of the processes' own ports (worker i binds INTERNAL_PORT + i); 0: any free port.",
    )
    advertise_host: str | None = Field(
        None,
        description="Host other processes reach this one's own port by; default INTERNAL_HOST, or this "
        "machine's address when that is 0.0.0.0 (in Docker, the container's).",
    )
    drain_seconds: float = Field(
        60.0, ge=0,
        description="On SIGTERM: how long live calls may run on (no new ones are taken, /health says draining) "
        "before they hear a goodbye. Give the container a stop timeout above this plus ~15 s.",
    )
    timezone: str = Field("UTC", description="Time zone used to read spoken dates and times (\"tomorrow at two\").")

    # --- storage -----------------------------------------------------------------------------
    database_url: str | None = Field(
        None,
        description="`postgresql+asyncpg://…` switches to PostgreSQL; default is SQLite at DATA_DIR/convonet.db.",
    )
    database_pool_size: int = Field(10, description="PostgreSQL connection pool size per process.")
    redis_url: str | None = Field(
        None, description="`redis://…` switches the store (events, queues, lockouts) to Redis; default in-process."
    )
    redis_timeout_seconds: float = Field(
        2.0, gt=0, description="Deadline for one Redis command (and for connecting): a hung Redis fails fast."
    )

    # --- auth --------------------------------------------------------------------------------
    jwt_secret: str | None = Field(
        None, description="HS256 signing key. Required outside development; generated once under DATA_DIR in development."
    )
    access_token_minutes: int = Field(30, description="Access-token lifetime.")
    refresh_token_days: int = Field(7, description="Refresh-token lifetime.")
    session_max_days: int = Field(
        30, ge=1, description="A sign-in lasts at most this long however often its tokens are refreshed; then log in again."
    )
    voice_pin: str | None = Field(
        None,
        description="Fallback voice PIN for accounts without their own and for numbers no account has "
        "(then it opens `VOICE_PIN_USER`). Production: 6 digits, and `VOICE_PIN_USER` required.",
    )
    voice_pin_user: str | None = Field(
        None, description="Email of the account `VOICE_PIN` opens for an unknown number; unset: it opens none."
    )
    voice_pin_max_failures: int = Field(
        20, ge=1,
        description="Wrong tries of `VOICE_PIN` from all callers together per 15 minutes before it stops opening "
        "anything until the window ends (an error is logged).",
    )
    bcrypt_rounds: int = Field(12, ge=4, le=16, description="bcrypt cost for passwords and PINs.")
    auth_attempts_per_minute: int = Field(
        30, ge=1,
        description="Logins, registrations, token refreshes, browser PIN tries and failed MCP sign-ins one client "
        "address may make per minute, counted in the store across replicas; past it: 429 with `Retry-After`.",
    )
    auth_failures_per_account: int = Field(
        10, ge=1,
        description="Wrong passwords one account takes per 15 minutes before its logins get 429 until the window ends.",
    )
    webrtc_ice_urls: list[str] = Field(
        default_factory=list,
        description='STUN/TURN URLs for browser calls (JSON list, e.g. ["stun:stun.example.org:3478"]). '
        "Empty: host candidates only (same machine or LAN).",
    )
    webrtc_turn_username: str | None = Field(None, description="TURN username given with `WEBRTC_ICE_URLS`.")
    webrtc_turn_credential: str | None = Field(
        None, description="TURN password; it is handed to signed-in pages (after the PIN), so use a TURN account "
        "just for them, or better WEBRTC_TURN_SECRET."
    )
    webrtc_turn_secret: str | None = Field(
        None, description="TURN REST API shared secret (coturn `static-auth-secret`): each page that proved its "
        "user gets its own TURN account, valid WEBRTC_TURN_TTL_SECONDS.",
    )
    webrtc_turn_ttl_seconds: int = Field(3600, ge=60, le=86400, description="Lifetime of a page's TURN account.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API from a browser.")
    max_request_body_bytes: int = Field(
        256 * 1024, ge=1024, description="Largest request body any route reads; bigger ones get 413."
    )

    reminder_poll_seconds: float = Field(
        2.0, gt=0, le=60,
        description="How often the reminder scheduler looks for due reminders (every replica looks; each reminder "
        "is claimed by exactly one).",
    )
    retention_days: int | None = Field(
        None, ge=1,
        description="Keep call transcripts, recordings, agent conversations of calls, call-center outcomes, "
        "callback requests and monitor records this many days, then purge them (hourly in the server, or `convonet purge`); unset: keep.",
    )

    record_calls: bool = Field(
        False, description="Keep each call's audio (caller and what they heard, two tracks of a WAV) under "
        "DATA_DIR/recordings, for staff to play and download in the Agent Monitor; RETENTION_DAYS purges them.",
    )
    announce_recording: bool = Field(
        True, description="With RECORD_CALLS: every call starts by saying that it is recorded.",
    )
    recording_max_minutes: int = Field(
        60, ge=1, le=600, description="A recording keeps at most this much of a call (its first minutes).",
    )

    # --- errors ------------------------------------------------------------------------------
    sentry_dsn: str | None = Field(None, description="Turns Sentry error reporting on.")
    sentry_traces_sample_rate: float = Field(0.0, description="Sentry performance tracing sample rate.")
    sentry_profiles_sample_rate: float = Field(0.0, description="Sentry profiling sample rate.")
    metrics_token: str | None = Field(
        None, min_length=16,
        description="Bearer token that opens `GET /metrics` (Prometheus) from anywhere; unset: only clients on this "
        "machine's loopback that did not come through a proxy may read it.",
    )
    metrics_dir: Path | None = Field(
        None,
        description="Directory the workers of `convonet serve --workers N` share their metrics in, so that any of "
        "them answers `/metrics` with the machine's sums (prometheus-client's multiprocess mode; emptied at start). "
        "Unset: a fresh temporary directory when there are several workers. `convonet serve` hands it to the "
        "library as the library's own `PROMETHEUS_MULTIPROC_DIR`: do not set that one yourself (the library "
        "would read it in every process, one-off commands included).",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        description="OpenTelemetry collector (OTLP over HTTP, e.g. `http://otel-collector:4318`): each call is a "
        "trace, with a span per turn and its stages and tool calls. Unset: no tracing.",
    )
    otel_service_name: str = Field("convonet", description="`service.name` of the traces sent to the collector.")

    # --- agent / LLM -------------------------------------------------------------------------
    llm_providers: list[str] = Field(
        default_factory=lambda: ["local"],
        description='Ordered LLM fallback list from anthropic, openai, google, local (JSON list, e.g. `["anthropic","local"]`); `local` is always appended.',
    )
    anthropic_api_key: str | None = Field(None, description="Turns Claude on (with `anthropic` in LLM_PROVIDERS).")
    anthropic_model: str = Field("claude-sonnet-4-6", description="Claude model name.")
    anthropic_base_url: str | None = Field(None, description="Override the Anthropic API address (proxies, tests).")
    openai_api_key: str | None = Field(None, description="Turns OpenAI on (with `openai` in LLM_PROVIDERS).")
    openai_model: str = Field("gpt-4o-mini", description="OpenAI chat model name.")
    openai_base_url: str | None = Field(None, description="Override the OpenAI API address (compatible servers, tests).")
    google_api_key: str | None = Field(None, description="Turns Gemini on (with `google` in LLM_PROVIDERS).")
    gemini_model: str = Field("gemini-2.0-flash", description="Gemini model name.")
    google_base_url: str | None = Field(None, description="Override the Gemini API address (tests).")
    tool_timeout_seconds: float = Field(8.0, description="Budget for one tool call.")
    llm_timeout_seconds: float = Field(4.0, description="Budget for one LLM provider's answer before the next one is tried.")
    turn_timeout_seconds: float = Field(10.0, description="Budget for one whole agent turn.")
    mcp_servers: dict[str, dict[str, object]] = Field(
        default_factory=dict,
        description="Outside MCP servers whose tools the agent loads (JSON, langchain-mcp-adapters connection format). Their calls show on the Agent Monitor like ours (domain `outside`).",
    )

    # --- speech ------------------------------------------------------------------------------
    stt_provider: Literal["moonshine", "sphinx", "deepgram"] = Field(
        "moonshine",
        description="Speech-to-text: offline Moonshine tiny English (neural, weights in its wheel), "
        "offline PocketSphinx with the domains' language model, or Deepgram.",
    )
    moonshine_model: Literal["tiny", "base"] = Field(
        "tiny",
        description="Moonshine's model with STT_PROVIDER=moonshine: tiny (moonshine-voice wheel) or base "
        "(moonshine-cpp wheel): fewer word errors for ~5x the CPU per final and ~0.5 GB more memory (README, "
        "\"Understanding what callers say\").",
    )
    moonshine_workers: int | None = Field(
        None, ge=1,
        description="Moonshine reader processes per server process, started with it (each holds the model: tiny "
        "~160 MB); a final goes to an idle one. Unset: the machine's cores shared out over the server's processes "
        "(`workers`), at least 1.",
    )
    tts_provider: Literal["hibari", "deepgram", "elevenlabs", "cartesia"] = Field(
        "hibari", description="Text-to-speech: offline hibari or a cloud voice."
    )
    hibari_speed: float = Field(
        1.0, ge=0.5, le=2.0,
        description="How fast the offline voice speaks (TTS_PROVIDER=hibari): 1.0 its own pace, 1.2 a fifth faster.",
    )
    deepgram_api_key: str | None = Field(None, description="Key for Deepgram STT/TTS.")
    deepgram_base_url: str | None = Field(None, description="Override the Deepgram address (tests).")
    elevenlabs_api_key: str | None = Field(None, description="Key for ElevenLabs TTS.")
    elevenlabs_voice_id: str = Field("21m00Tcm4TlvDq8ikWAM", description="ElevenLabs voice.")
    elevenlabs_base_url: str | None = Field(None, description="Override the ElevenLabs address (tests).")
    cartesia_api_key: str | None = Field(None, description="Key for Cartesia TTS.")
    cartesia_voice_id: str = Field("71a7ad14-091c-4e8e-a314-022ece01c121", description="Cartesia voice.")
    cartesia_base_url: str | None = Field(None, description="Override the Cartesia address (tests).")
    vad_stop_secs: float = Field(0.2, description="Silence that ends a caller's turn.")

    # --- telephony and transfer --------------------------------------------------------------
    twilio_enabled: bool = Field(
        True, description="Serve the Twilio webhooks and Media Streams websocket; false: those routes are not mounted."
    )
    twilio_account_sid: str | None = Field(None, description="Twilio account; with the token, enables REST hang-up and redirect.")
    twilio_auth_token: str | None = Field(None, description="When set, every Twilio webhook and websocket must be signed.")
    twilio_api_base_url: str | None = Field(None, description="Override the Twilio REST address (tests).")
    twilio_from_number: str | None = Field(
        None, description="The Twilio number (E.164) text messages come from; with the account SID and token, "
        "a reminder is also sent by SMS to its user's phone number.",
    )
    outbound_caller_id: str | None = Field(
        None, description="The number (E.164, one of the account's Twilio numbers) that calls placed from the call "
        "center show; unset: TWILIO_FROM_NUMBER. With the account SID and token, the dialpad calls phones.",
    )
    transfer_departments: dict[str, str] = Field(
        default_factory=lambda: {"support": "2001", "sales": "2002", "billing": "2003"},
        description="Departments a caller can be transferred to, and their extensions (JSON object).",
    )
    wrap_up_codes: list[str] = Field(
        default_factory=lambda: ["Resolved", "Follow-up needed", "Callback scheduled", "Escalated",
                                 "Wrong department", "No action needed"],
        description="The codes an agent files a finished call under in the call center (JSON list).",
    )
    transfer_timeout: int = Field(30, description="Seconds a transfer rings before the AI takes the caller back.")
    fusionpbx_sip_domain: str | None = Field(None, description="With Twilio credentials, transfers dial sip:{ext}@this domain.")
    sip_domain: str | None = Field(None, description="SIP domain the call-center softphone registers to.")
    sip_wss_port: int = Field(7443, description="WSS port of the SIP domain.")
    sip_ws_url: str | None = Field(
        None, description="WebSocket address of the SIP server the softphone connects to; default "
        "wss://SIP_DOMAIN:SIP_WSS_PORT (FusionPBX's WSS port). ws:// only for a server on loopback (tests).",
    )

    # --- calendar ----------------------------------------------------------------------------
    google_calendar_credentials_file: Path | None = Field(
        None, description="OAuth authorized-user JSON; turns Google Calendar mirroring on."
    )
    google_calendar_id: str = Field("primary", description="Calendar to mirror to.")
    google_calendar_owner: str | None = Field(
        None,
        description="Email of the account whose Google calendar it is: only it imports events made in Google itself. "
        "Every user reads back only the events Convonet wrote for them.",
    )
    google_calendar_base_url: str | None = Field(None, description="Override the Calendar API address (tests).")

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        if self.environment != "development":
            secret = (self.jwt_secret or "").strip()
            if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
                raise SettingsError(
                    "JWT_SECRET must be set to a random value of at least 32 characters outside development "
                    '(try: python -c "import secrets; print(secrets.token_urlsafe(48))").'
                )
        if self.environment == "production" and self.twilio_enabled and not (self.twilio_auth_token or "").strip():
            raise SettingsError(
                "TWILIO_AUTH_TOKEN must be set in production: without it anyone can open a phone call's stream "
                "and pose as any caller. Set it to the Twilio account's auth token, or set TWILIO_ENABLED=false "
                "if this server takes no phone calls."
            )
        weak_pin = bool(self.voice_pin) and not re.fullmatch(r"\d{6}", self.voice_pin or "")
        if self.environment == "production" and self.voice_pin and (weak_pin or not (self.voice_pin_user or "").strip()):
            raise SettingsError(
                "VOICE_PIN in production must be 6 digits and come with VOICE_PIN_USER (the e-mail of the one "
                "account it opens); otherwise unset VOICE_PIN."
            )
        return self

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL in use: DATABASE_URL, or the SQLite file under DATA_DIR."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'convonet.db').as_posix()}"

    @cached_property
    def signing_key(self) -> str:
        """The JWT key: the configured one, or (development only) one generated once and kept on disk."""
        if self.jwt_secret and self.jwt_secret.strip().lower() not in PLACEHOLDER_SECRETS:
            return self.jwt_secret
        path = self.data_dir / "jwt_secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]


_CHILD_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "VIRTUAL_ENV", "SYSTEMROOT",
              "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# Settings that a library reads from an environment variable of its own rather than takes as an argument.
LIBRARY_ENVIRONMENT = {
    "metrics_dir": "PROMETHEUS_MULTIPROC_DIR",  # prometheus-client: where each metric's value file is made
}


def export_library_environment(settings: Settings) -> None:
    """Write `LIBRARY_ENVIRONMENT` from `settings` into this process's environment (a setting that is None
    removes its variable): the one place Convonet sets an environment variable. `convonet serve` calls it
    before it forks its workers, who inherit it; our speech worker processes start without it
    (`child_process_environment`)."""
    for field, variable in LIBRARY_ENVIRONMENT.items():
        value = getattr(settings, field)
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = str(value)


def child_process_environment(*python_path: str) -> dict[str, str]:
    """The environment a worker process of ours (the speech decoders) starts with: what Python and
    the C libraries need, with `python_path` first on PYTHONPATH, and none of the server's settings
    (API keys, tokens and secrets stay in the server process)."""
    env = {k: v for k, v in os.environ.items() if k in _CHILD_ENV or k.startswith("LC_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*python_path, os.environ.get("PYTHONPATH", "")) if p)
    return env
