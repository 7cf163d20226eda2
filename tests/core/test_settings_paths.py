"""Every path of the settings and the site file is absolute once read: a relative one would mean
another folder to a job's sandbox, a subprocess or a worker started elsewhere."""

from __future__ import annotations

from pathlib import Path

from aifhub.core.config import Settings
from aifhub.resources.site import ClusterConfig


def test_relative_settings_paths_are_resolved_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings(var_dir=Path("var"), site_file=Path("site.toml"), database_url="sqlite:///db/a.db")
    assert s.var_dir == tmp_path / "var"
    assert s.site_file == tmp_path / "site.toml"
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path}/db/a.db"
    assert s.resolved_database_url() == s.database_url
    # Moving elsewhere afterwards changes nothing.
    monkeypatch.chdir("/")
    assert Settings(var_dir=s.var_dir).var_dir == tmp_path / "var"
    assert (
        Settings(database_url="sqlite:///:memory:").database_url == "sqlite+aiosqlite:///:memory:"
    )


def test_a_clusters_host_paths_are_resolved_when_the_site_file_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conf = ClusterConfig.model_validate(
        {
            "name": "ci",
            "backend": "slurm",
            "settings": {"slurm_conf": "etc/slurm.conf", "bin_dir": "/usr/bin", "log_dir": "logs"},
            "partitions": [{"name": "cpu"}],
        }
    )
    assert conf.settings["slurm_conf"] == str(tmp_path / "etc" / "slurm.conf")
    assert conf.settings["bin_dir"] == "/usr/bin"
    # A log folder is the cluster's (sbatch writes it on the nodes): left as written.
    assert conf.settings["log_dir"] == "logs"
