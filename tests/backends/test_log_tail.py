"""The end of a log file, cut at character boundaries (what the job page shows)."""

from __future__ import annotations

from aifhub.backends.base import read_log_tail_file


def test_tail_of_a_short_log_is_all_of_it(tmp_path):
    log = tmp_path / "stderr"
    log.write_bytes("héllo\n".encode())
    tail = read_log_tail_file(log, 1024)
    assert (tail.text, tail.start, tail.end, tail.truncated) == ("héllo\n", 0, 7, False)


def test_tail_cut_inside_a_character_starts_at_the_next_one(tmp_path):
    log = tmp_path / "stdout"
    log.write_bytes(("a" * 10 + "é" * 10).encode())  # 30 bytes
    tail = read_log_tail_file(log, 5)  # starts on the 2nd byte of an 'é'
    assert tail.text == "éé" and tail.start == 26 and tail.end == 30 and tail.truncated


def test_tail_keeps_an_unfinished_character_for_later(tmp_path):
    log = tmp_path / "stdout"
    log.write_bytes(b"ok " + "€".encode()[:2])  # the job is writing the euro sign right now
    tail = read_log_tail_file(log, 100)
    assert tail.text == "ok " and tail.end == 3


def test_a_missing_log_is_empty(tmp_path):
    tail = read_log_tail_file(tmp_path / "absent", 100)
    assert (tail.text, tail.start, tail.end) == ("", 0, 0)
