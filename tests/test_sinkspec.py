"""Reading ``--sink`` values against the declared options: conversion, defaults, the target,
and the errors a typo gets, with the closest valid name."""

from __future__ import annotations

import subprocess

import pytest

from collector import Option, Sink, hookimpl
from collector import registry as registry_module
from collector.options import count
from collector.pipeline.delivery import DELIVERY_OPTIONS
from collector.redact import redacted
from collector.testing import sink_spec
from tests.helpers import probe_environment, program


class Quiet(Sink):
    def write(self, events):
        pass


def test_options_are_converted_and_defaults_filled_in():
    spec = sink_spec("file:/tmp/run.jsonl?max_bytes=1000&fsync=BATCH")
    assert (spec.scheme, spec.target) == ("file", "/tmp/run.jsonl")
    assert spec.options == {"fsync": "batch", "max_bytes": 1000, "backups": 5}
    assert spec.delivery == {} and spec.query == ""


def test_a_sink_without_options_or_target():
    spec = sink_spec("stdout")
    assert (spec.scheme, spec.target, spec.options, spec.delivery) == ("stdout", "", {}, {})


def test_delivery_options_are_taken_out_for_the_collector():
    spec = sink_spec("live?batch_size=20&refresh=2&max_delay=0.5&spool_max_bytes=4MiB")
    assert spec.delivery == {"batch_size": 20, "max_delay": 0.5, "spool_max_bytes": 4 << 20}
    assert spec.options["refresh"] == 2.0 and "batch_size" not in spec.options


def test_a_file_url_with_slashes_names_the_path():
    assert sink_spec("file:///tmp/x.jsonl").target == "/tmp/x.jsonl"


# One typo per built-in sink: the closest valid option is named.
TYPOS = [
    ("stdout?batch_sise=10", "batch_sise", "batch_size"),
    ("stderr?max_dela=1", "max_dela", "max_delay"),
    ("file:run.jsonl?fsnyc=batch", "fsnyc", "fsync"),
    ("file:run.jsonl?max_byte=10", "max_byte", "max_bytes"),
    ("live?refesh=2", "refesh", "refresh"),
    ("live?stalled_afer=3", "stalled_afer", "stalled_after"),
    ("mongodb://127.0.0.1:1/db?colection=runs", "colection", "collection"),
    ("mongodb+srv://cluster.example/db?max_dealy=1", "max_dealy", "max_delay"),
    ("notify:https://hooks.example/T0?fromat=slack", "fromat", "format"),
    ("web?prot=0", "prot", "port"),
    ("notify:https://hooks.example/T0?batch_sise=5", "batch_sise", "batch_size"),
]


@pytest.mark.parametrize(("text", "typo", "meant"), TYPOS)
def test_an_unknown_option_names_the_closest_valid_one(text, typo, meant):
    with pytest.raises(ValueError) as caught:
        sink_spec(text)
    message = str(caught.value)
    shown = redacted(text)  # a webhook's path is a secret
    assert message.startswith(f"--sink {shown!r}: unknown option {typo!r}; did you mean {meant!r}?")
    assert "batch_size, max_delay, queue_size, spool_max_bytes" in message


@pytest.mark.parametrize(("text", "typo", "meant"), TYPOS)
def test_an_option_typo_stops_the_collector_with_status_2(tmp_path, text, typo, meant):
    result = subprocess.run(
        program("hotprobe_command", "collect", "--sink", text),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=probe_environment(HOTPROBE_PLUGINS="none"),
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("hotprobe collect: error: --sink ")
    assert f"unknown option {typo!r}; did you mean {meant!r}?" in line
    assert not list(tmp_path.iterdir())  # stopped before any spool or file was made


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("file:x?max_bytes=lots", "option max_bytes='lots': expected a whole number >= 0"),
        ("file:x?fsync=sometimes", "option fsync='sometimes': expected one of batch, idle, never"),
        ("live?refresh=0", "option refresh='0': expected a number > 0"),
        ("live?max_rows=", "option max_rows='': expected a whole number > 0"),
        ("stdout?max_delay=soon", "option max_delay='soon': expected a number of seconds >= 0"),
        ("mongodb://h:1/db?collection=a$b", "option collection='a$b': expected a collection name"),
        ("file:x?fsync=batch&fsync=idle", "option 'fsync' given twice"),
    ],
)
def test_a_bad_value_names_the_option(text, complaint):
    with pytest.raises(ValueError) as caught:
        sink_spec(text)
    assert str(caught.value).startswith(f"--sink {text!r}: ")
    assert complaint in str(caught.value)


@pytest.mark.parametrize("text", ["stdout:foo", "stderr:foo", "live:big?refresh=2", "web:x"])
def test_a_target_for_a_sink_that_takes_none_is_an_error(text):
    scheme = text.partition(":")[0]
    with pytest.raises(ValueError, match=f"{scheme} takes no target, only options"):
        sink_spec(text)


@pytest.mark.parametrize("text", ["run.jsonl", "./out/run.jsonl", "/tmp/run.jsonl", "~/x"])
def test_an_unknown_scheme_that_looks_like_a_path_suggests_file(text):
    with pytest.raises(registry_module.UnknownSink) as caught:
        sink_spec(text)
    assert str(caught.value).endswith(f"; to write to a file: --sink file:{text}")
    assert "unknown sink scheme" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "meant"), [("stdot", "stdout"), ("mongo://db/science", "mongodb"), ("Lve", "live")]
)
def test_an_unknown_scheme_names_the_closest_one(text, meant):
    with pytest.raises(registry_module.UnknownSink) as caught:
        sink_spec(text)
    assert str(caught.value).endswith(f"; did you mean {meant!r}?")


def test_a_password_in_a_bad_spec_is_not_repeated():
    with pytest.raises(ValueError) as caught:
        sink_spec("mongodb://ada:s3cret@h:1/db?colection=x")
    assert "s3cret" not in str(caught.value) and "ada:***@h:1" in str(caught.value)


def test_a_plugin_declares_options_that_reach_its_factory_converted():
    class Counting:
        @hookimpl
        def register_sinks(self, register):
            register(
                "counting",
                Quiet,
                options=[Option("every", "how often", count, 10), Option("label", "a label")],
                target=None,
            )

    spec = sink_spec("counting?every=3", plugins=[Counting()])
    assert spec.options == {"every": 3, "label": None}
    with pytest.raises(ValueError, match=r"unknown option 'evry'; did you mean 'every'\?"):
        sink_spec("counting?evry=3", plugins=[Counting()])


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"tag": "a label"}, "must be a sequence of collector.Option"),
        (["tag"], "is not a collector.Option"),
        ([Option("batch_size", "mine")], "is a delivery option every sink takes"),
        ([Option("a-b", "dashes")], "is not a new identifier"),
        ([Option("x", "one"), Option("x", "two")], "is not a new identifier"),
    ],
)
def test_a_bad_declaration_is_reported_naming_the_plugin(options, complaint):
    class Declaring:
        @hookimpl
        def register_sinks(self, register):
            register("declared", Quiet, options=options)

    registry = registry_module.load((Declaring(),))
    assert "declared" not in registry.sink_types
    [failure] = registry.failures
    assert (
        failure.startswith("plugin 'Declaring' failed in register_sinks") and complaint in failure
    )


def test_every_delivery_option_is_declared_with_its_default():
    assert {name: option.default for name, option in DELIVERY_OPTIONS.items()} == {
        "batch_size": 500,
        "max_delay": 0.2,
        "queue_size": 100_000,
        "spool_max_bytes": 1 << 30,
    }


def test_a_bad_value_of_a_secret_option_is_not_repeated():
    class Tokened:
        @hookimpl
        def register_sinks(self, register):
            register("tokened", Quiet, options=[Option("api_token", "the token", count)])

    with pytest.raises(ValueError) as caught:
        sink_spec("tokened:x?api_token=hunter2", plugins=[Tokened()])
    message = str(caught.value)
    assert "hunter2" not in message
    assert "option api_token='***': expected a whole number > 0, not '***'" in message
