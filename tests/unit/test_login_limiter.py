"""Failed login attempts are limited per login name."""

from service.web.limits import LoginLimiter


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_five_failures_lock_the_login_until_the_window_passes():
    clock = Clock()
    limiter = LoginLimiter(attempts=5, window=900, clock=clock)
    for _ in range(4):
        limiter.failed("Tutor1")
    assert limiter.locked_for("tutor1") == 0
    limiter.failed("tutor1")
    assert 0 < limiter.locked_for("TUTOR1") <= 901
    assert limiter.locked_for("methodist") == 0
    clock.t += 901
    assert limiter.locked_for("tutor1") == 0


def test_a_successful_login_clears_the_failures():
    limiter = LoginLimiter(attempts=2, window=900, clock=Clock())
    limiter.failed("a")
    limiter.succeeded("a")
    limiter.failed("a")
    assert limiter.locked_for("a") == 0
