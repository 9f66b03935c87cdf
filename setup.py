"""The one build step beyond pyproject.toml: the ``HOTPROBE_TQDM`` start-up hook.

``probe/hotprobe_startup.pth`` and ``probe/_startup.py`` go to the top of site-packages, as
``hotprobe_startup.pth`` and ``_hotprobe_startup.py`` (see probe/_startup.py). A wheel gets them
at its top level, beside the packages; an editable install (``pip install -e``) too, since its
wheel is made from what ``install`` puts in the wheel's directory.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
STARTUP_FILES = {  # in the checkout: at the top of site-packages
    HERE / "probe" / "hotprobe_startup.pth": "hotprobe_startup.pth",
    HERE / "probe" / "_startup.py": "_hotprobe_startup.py",
}


class BuildWithStartupHook(build_py):
    """``build_py``, plus the start-up hook's files at the top of the wheel."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            target = self.get_finalized_command("install").install_lib
        else:
            target = self.build_lib
        self.mkpath(target)
        for source, name in STARTUP_FILES.items():
            self.copy_file(str(source), str(Path(target, name)), preserve_mode=False)


setup(cmdclass={"build_py": BuildWithStartupHook})
