"""ansible/ is ansible-lint clean with the production profile (ansible/.ansible-lint)."""

from __future__ import annotations

import subprocess

from .conftest import ANSIBLE_DIR, BIN, ansible_env, require_ansible


def test_ansible_lint_production_profile_passes():
    require_ansible()
    result = subprocess.run([str(BIN / "ansible-lint"), "--nocolor"], cwd=ANSIBLE_DIR, env=ansible_env(),
                            capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Profile 'production' was required, and it passed" in output, output[-3000:]
