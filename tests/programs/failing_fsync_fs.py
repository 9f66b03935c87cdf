"""A FUSE file system passing everything through to a directory, whose ``fsync`` (and
truncation) fail with EIO on demand: ``python failing_fsync_fs.py BACKING MOUNTPOINT CONTROL``.

``fsync`` fails while the file ``CONTROL/fsync`` exists, truncation while ``CONTROL/truncate``
does. Runs in the foreground until unmounted. Writes reach the backing directory as usual, so
a test sees exactly what a program left in its files when the kernel reported the failure."""

from __future__ import annotations

import errno
import os
import sys

import mfusepy as fuse


class FailingFsync(fuse.Operations):
    """Passthrough to ``backing``; an operation named by a file in ``control`` raises EIO."""

    use_ns = True  # times in nanoseconds, as os.utime takes them

    def __init__(self, backing: str, control: str) -> None:
        self.backing = backing
        self.control = control

    def _fail_if_asked(self, operation: str) -> None:
        if os.path.exists(os.path.join(self.control, operation)):
            raise fuse.FuseOSError(errno.EIO)

    def _real(self, path: str) -> str:
        return os.path.join(self.backing, path.lstrip("/"))

    def getattr(self, path, fh=None):
        st = os.lstat(self._real(path))
        names = ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size")
        attrs = {name: getattr(st, name) for name in names}
        attrs.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
        return attrs

    def readdir(self, path, fh):
        return [".", "..", *os.listdir(self._real(path))]

    def create(self, path, mode, fi=None):
        return os.open(self._real(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def open(self, path, flags):
        return os.open(self._real(path), flags & ~os.O_APPEND)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        self._fail_if_asked("truncate")
        if fh is None:
            os.truncate(self._real(path), length)
        else:
            os.ftruncate(fh, length)
        return 0

    def fsync(self, path, datasync, fh):
        self._fail_if_asked("fsync")
        os.fsync(fh)
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    def unlink(self, path):
        os.unlink(self._real(path))
        return 0

    def rename(self, old, new):
        os.rename(self._real(old), self._real(new))
        return 0

    def mkdir(self, path, mode):
        os.mkdir(self._real(path), mode)
        return 0

    def utimens(self, path, times=None):
        if times is None:
            os.utime(self._real(path))
        else:
            os.utime(self._real(path), ns=times)
        return 0

    def chmod(self, path, mode):
        os.chmod(self._real(path), mode)
        return 0


def main() -> None:
    backing, mountpoint, control = sys.argv[1:4]
    fuse.FUSE(FailingFsync(backing, control), mountpoint, foreground=True, nothreads=True)


if __name__ == "__main__":
    main()
