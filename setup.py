"""The one build step beyond pyproject.toml: install ``hotprobe_startup.pth`` in site-packages.

That file lets ``HOTPROBE_TQDM=1`` patch tqdm at interpreter start-up (see probe/_startup.py).
A wheel gets it at its top level, beside the packages; an editable install (``pip install -e``)
gets it too, since its wheel is made from what ``install`` puts in the wheel's directory.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

STARTUP_HOOK = Path(__file__).parent / "probe" / "hotprobe_startup.pth"


class BuildWithStartupHook(build_py):
    """``build_py``, plus the start-up hook at the top of the wheel."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            target = self.get_finalized_command("install").install_lib
        else:
            target = self.build_lib
        self.mkpath(target)
        self.copy_file(str(STARTUP_HOOK), str(Path(target, STARTUP_HOOK.name)), preserve_mode=False)


setup(cmdclass={"build_py": BuildWithStartupHook})
