"""Loaded by the Python processes of tests/verification/test_run_clock.py only (PYTHONPATH), beside
libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1.

libfaketime 0.9.10 (Debian) breaks two things in Python 3.11: with a faked monotonic clock every timed
lock wait (threading, ThreadPoolExecutor) blocks for decades, because the absolute deadline is computed on
the faked clock and waited for on the real one; with the monotonic clock left alone, `time.sleep` fails
with EINVAL (its clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) wrapper). So the monotonic clock stays
real and sleeping goes through select(), whose timeout is relative. Only the wall clock is faked, which
is the clock under test.
"""
import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
