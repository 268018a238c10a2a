import logging
import os

import pytest
from hypothesis import HealthCheck, settings

# CI draws hypothesis' default 100 examples per property, twice the local 50, and keeps
# the whole suite within CI's 20 minutes on 2 cores; ``HYPOTHESIS_PROFILE=thorough pytest``
# draws 1,000 for a search before a release.
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def fast_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """femstat's debug log, where the Arrow-native reader says when it gives way."""
    caplog.set_level(logging.DEBUG, logger="femstat")
    return caplog
