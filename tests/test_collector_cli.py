"""``hotprobe collect`` options: the TOML file, the command line winning, and usage errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from collector.cli import _cli_values, build_parser, main
from collector.config import SETTINGS, CollectorConfig
from collector.configfile import OPTIONS, ConfigError, build, read_file
from tests.helpers import ROOT


def collect(*args: str, cwd=ROOT) -> tuple[int, list[str]]:
    """Run ``python -m collector ARGS`` (which must fail fast); exit status and stderr lines."""
    result = subprocess.run(
        [sys.executable, "-m", "collector", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    return result.returncode, result.stderr.splitlines()


def test_every_setting_is_declared_once_as_a_flag_and_a_file_key():
    assert [setting.attribute for setting in SETTINGS] == list(CollectorConfig.__dataclass_fields__)
    assert set(OPTIONS) == {setting.name for setting in SETTINGS}
    assert CollectorConfig() == CollectorConfig(
        **{setting.attribute: setting.default for setting in SETTINGS}
    )


def test_collect_help_is_made_from_the_declarations_with_their_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["collect", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for setting in SETTINGS:
        assert f"--{setting.name} " in shown
        assert " ".join(setting.described.split()) in shown
    assert "(repeatable; default tcp://127.0.0.1:5556)" in shown
    own = "for sinks that set none of their own"
    assert f"events per write, {own} (default 500; per sink: ?batch_size=)" in shown
    assert "`" not in shown


def test_hotprobe_help_shows_no_markup(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "`" not in capsys.readouterr().out


def test_the_operations_guide_lists_every_option_with_its_default():
    rows = [
        line
        for line in (ROOT / "docs" / "operations.md").read_text().splitlines()
        if line.startswith("| `--")
    ]
    for setting in SETTINGS:
        [row] = [row for row in rows if re.match(rf"\| `--{setting.name}[ `]", row)]
        if setting.default_text is None and setting.shown_default is not None:
            assert f"`{setting.shown_default}`" in row or setting.shown_default in row, row


def test_file_sets_every_option_and_the_command_line_wins(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text(
        """
        bind = ["tcp://127.0.0.1:7000", "ipc:///tmp/hp"]
        fan-in = "tcp://127.0.0.1:7100"
        interval = 0.5
        key = ["run", "probe"]
        trailing = true
        sink = ["stdout", "file:events.jsonl"]
        dead_letter = "rejects.jsonl"
        dead-letter-max-bytes = "8MiB"
        dead-letter-backups = 0
        max-message-size = "4MiB"
        stats-interval = 2
        shutdown-timeout = 3.5
        quiet = true
        """.replace("\n        ", "\n")
    )
    from_file = build(read_file(str(path)), {})
    assert from_file == CollectorConfig(
        bind=["tcp://127.0.0.1:7000", "ipc:///tmp/hp"],
        fan_in=["tcp://127.0.0.1:7100"],
        interval=0.5,
        key=("run", "probe"),
        trailing=True,
        sinks=["stdout", "file:events.jsonl"],
        dead_letter="rejects.jsonl",
        dead_letter_max_bytes=8 << 20,
        dead_letter_backups=0,
        max_message_size=4 << 20,
        stats_interval=2.0,
        shutdown_timeout=3.5,
        quiet=True,
    )
    overridden = build(read_file(str(path)), {"interval": 0.0, "key": ("probe",)})
    assert (overridden.interval, overridden.key, overridden.trailing) == (0.0, ("probe",), True)


@pytest.mark.parametrize(
    "content, message",
    [
        ("intervall = 1", "unknown option 'intervall' (allowed: batch-size, bind, curve-clients,"),
        ("interval = -1", "option 'interval': expected a number of seconds >= 0, not -1"),
        ("interval = 'soon'", "option 'interval': expected a number of seconds >= 0"),
        ("key = []", "option 'key': expected field names such as host,pid,probe"),
        ("trailing = 'yes'", "option 'trailing': expected true or false, not 'yes'"),
        ("max-message-size = '2 parsecs'", "expected a size in bytes > 0 such as 1048576 or 4MiB"),
        ("sink = [1]", "option 'sink': expected a string or a list of strings"),
        ("dead-letter-backups = -1", "option 'dead-letter-backups': expected a whole number >= 0"),
        ("interval = ", "is not valid TOML"),
    ],
)
def test_bad_file_options_are_refused_with_what_is_allowed(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content + "\n")
    with pytest.raises(ConfigError) as caught:
        build(read_file(str(path)), {})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--interval", "-2"], "argument --interval: expected a number of seconds >= 0, not '-2'"),
        (["--max-message-size", "0"], "expected a size in bytes > 0 such as 1048576 or 4MiB"),
        (["--key", ","], "argument --key: expected field names such as host,pid,probe"),
        (["--dead-letter-max-bytes", "lots"], "expected a size in bytes > 0 such as 1048576"),
        (["--dead-letter-backups", "x"], "argument --dead-letter-backups: expected a whole number"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--sink", "carrier-pigeon:coop"], "unknown sink scheme 'carrier-pigeon' (known: file,"),
        (["--sink", "file"], "file sink needs a path: file:PATH"),
        (["--config", "/nonexistent/hotprobe.toml"], "cannot read config file /nonexistent"),
        (["--bind", "carrier-pigeon://coop"], "cannot bind carrier-pigeon://coop"),
        (["--sink", "stdout", "--sink", "live"], "both write to standard output"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    status, lines = collect(*args, cwd=tmp_path)
    assert status == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(("hotprobe collect: error: ", "hotprobe: error: "))
    assert message in lines[0]


def test_a_bad_config_file_exits_2_with_one_line(tmp_path):
    (tmp_path / "c.toml").write_text('sink = "nowhere:x"\n')
    status, lines = collect("--config", str(tmp_path / "c.toml"), cwd=tmp_path)
    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("hotprobe collect: error: unknown sink scheme 'nowhere' (known: ")


def test_the_generated_flags_override_the_file(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text('trailing = true\nquiet = true\nbind = "tcp://127.0.0.1:7000"\ninterval = 3\n')
    flags = "--no-trailing --bind tcp://127.0.0.1:7001 --bind ipc:///tmp/hp --key run,probe"
    args = build_parser().parse_args(["collect", *flags.split(), "--spool-max-bytes", "4MiB"])
    config = build(read_file(str(path)), _cli_values(args))
    assert (config.trailing, config.quiet, config.interval) == (False, True, 3.0)
    assert config.bind == ["tcp://127.0.0.1:7001", "ipc:///tmp/hp"]
    assert (config.spool_max_bytes, config.key) == (4 << 20, ("run", "probe"))
    assert config.delivery.spool_max_bytes == 4 << 20
