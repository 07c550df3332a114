"""Settings: every bad value stops the start with a message naming the variable and value."""

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from segdicom.config import ConfigError, Settings
from segdicom.services import scp_config


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SEGDICOM_HTTP_PORT", "abc"),
        ("SEGDICOM_HTTP_PORT", "70000"),
        ("SEGDICOM_DICOM_PORT", "-1"),
        ("SEGDICOM_AE_TITLE", "A_TITLE_LONGER_THAN_16"),
        ("SEGDICOM_AE_TITLE", "BACK\\SLASH"),
        ("SEGDICOM_DICOMWEB_URL", "ftp://pacs.example/dicom-web"),
        ("SEGDICOM_DICOMWEB_URL", "not a url"),
        ("SEGDICOM_PACS_TIMEOUT", "soon"),
        ("SEGDICOM_MAX_UPLOAD_BYTES", "0"),
        ("SEGDICOM_LOG_LEVEL", "LOUD"),
        ("SEGDICOM_DATABASE_URL", "segdicom.sqlite3"),
    ],
)
def test_bad_value_names_variable_and_value(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert name in caught.value.detail
    assert value in caught.value.detail or repr(value) in caught.value.detail


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings.from_env({})
    assert settings.http_host == "127.0.0.1"
    assert settings.http_port == 8000
    assert settings.dicom_port == 11112
    assert settings.ae_title == "SEGDICOM"
    assert settings.data_dir == Path("./data")
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert not settings.has_dicomweb


def test_values_are_parsed_and_environment_beats_file(tmp_path: Path) -> None:
    config_file = tmp_path / "segdicom.env"
    config_file.write_text("# comment\nSEGDICOM_HTTP_PORT=9000\nSEGDICOM_AE_TITLE=FROMFILE\n")
    settings = Settings.from_env(
        {
            "SEGDICOM_CONFIG_FILE": str(config_file),
            "SEGDICOM_HTTP_PORT": "8123",
            "SEGDICOM_DICOMWEB_URL": "http://127.0.0.1:8042/dicom-web",
            "SEGDICOM_SCP_ALLOWED_AETS": "ORTHANC, OTHER",
            "SEGDICOM_PACS_TIMEOUT": "2.5",
        }
    )
    assert settings.http_port == 8123
    assert settings.ae_title == "FROMFILE"
    assert settings.scp_allowed_aets == ("ORTHANC", "OTHER")
    assert settings.pacs_timeout == 2.5
    assert settings.has_dicomweb


def test_bad_config_file_line_is_named(tmp_path: Path) -> None:
    config_file = tmp_path / "segdicom.env"
    config_file.write_text("HTTP_PORT=9000\n")
    with pytest.raises(ConfigError, match="HTTP_PORT=9000"):
        Settings.from_env({"SEGDICOM_CONFIG_FILE": str(config_file)})


def test_serve_with_bad_setting_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    env |= {"SEGDICOM_DATA_DIR": str(tmp_path / "data"), "SEGDICOM_HTTP_PORT": "abc"}
    done = subprocess.run(
        [sys.executable, "-m", "segdicom", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SEGDICOM_HTTP_PORT" in done.stderr
    assert "'abc'" in done.stderr
    assert not (tmp_path / "data").exists()  # stopped before touching anything


def documented_settings() -> set[str]:
    """The variables named in README's configuration table; `_X` after a name is SEGDICOM_X."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for word in re.findall(r"`(SEGDICOM_[A-Z0-9_]+|_[A-Z0-9_]+)`", first_cell):
                names.add(word if word.startswith("SEGDICOM_") else "SEGDICOM" + word)
    return names


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    variables = {f"SEGDICOM_{f.name.upper()}" for f in dataclasses.fields(Settings)}
    assert sorted(variables - documented_settings()) == []


def test_the_receivers_allow_lists_take_the_dimse_pacs_that_answers_our_c_moves() -> None:
    # Orthanc answers a C-MOVE by connecting back as itself: a list naming only the
    # modalities refused it, and the pull failed as if the PACS did not know us.
    settings = Settings(
        scp_allowed_aets=("CT1",),
        scp_allowed_hosts=("10.0.0.5",),
        pacs_ae_title="ORTHANC",
        pacs_host="10.0.0.9",
        pacs_dicom_port=4242,
    )
    config = scp_config(settings)
    assert config.allowed_aets == ("CT1", "ORTHANC")
    assert config.allowed_hosts == ("10.0.0.5", "10.0.0.9")
    open_lists = scp_config(Settings(pacs_ae_title="ORTHANC", pacs_host="pacs", pacs_dicom_port=1))
    assert (open_lists.allowed_aets, open_lists.allowed_hosts) == ((), ())  # still anyone
    no_peer = scp_config(Settings(scp_allowed_aets=("CT1",)))
    assert no_peer.allowed_aets == ("CT1",)
