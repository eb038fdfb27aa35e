"""Syscall numbers to names for the raw log format. ENRICHED logs (auditd's default) name the
syscall themselves (`SYSCALL=execve`); this table covers the calls audit rules usually watch,
on the two common architectures."""

from __future__ import annotations

X86_64 = "c000003e"
AARCH64 = "c00000b7"

_TABLES: dict[str, dict[int, str]] = {
    X86_64: {
        0: "read", 1: "write", 2: "open", 3: "close", 9: "mmap", 10: "mprotect", 16: "ioctl",
        21: "access", 41: "socket", 42: "connect", 43: "accept", 44: "sendto", 45: "recvfrom",
        46: "sendmsg", 47: "recvmsg", 49: "bind", 50: "listen", 56: "clone", 57: "fork",
        58: "vfork", 59: "execve", 60: "exit", 62: "kill", 76: "truncate", 77: "ftruncate",
        80: "chdir", 82: "rename", 83: "mkdir", 84: "rmdir", 85: "creat", 86: "link",
        87: "unlink", 88: "symlink", 90: "chmod", 91: "fchmod", 92: "chown", 93: "fchown",
        94: "lchown", 101: "ptrace", 103: "syslog", 105: "setuid", 106: "setgid",
        113: "setreuid", 114: "setregid", 117: "setresuid", 119: "setresgid", 122: "setfsuid",
        123: "setfsgid", 126: "capset", 133: "mknod", 155: "pivot_root", 159: "adjtimex",
        161: "chroot", 163: "acct", 164: "settimeofday", 165: "mount", 166: "umount2",
        167: "swapon", 168: "swapoff", 169: "reboot", 170: "sethostname", 171: "setdomainname",
        175: "init_module", 176: "delete_module", 188: "setxattr", 189: "lsetxattr",
        190: "fsetxattr", 197: "removexattr", 198: "lremovexattr", 199: "fremovexattr",
        200: "tkill", 227: "clock_settime", 234: "tgkill", 246: "kexec_load", 248: "add_key",
        249: "request_key", 250: "keyctl", 257: "openat", 258: "mkdirat", 259: "mknodat",
        260: "fchownat", 263: "unlinkat", 264: "renameat", 265: "linkat", 266: "symlinkat",
        268: "fchmodat", 272: "unshare", 288: "accept4", 298: "perf_event_open",
        304: "open_by_handle_at", 308: "setns", 310: "process_vm_readv",
        311: "process_vm_writev", 313: "finit_module", 316: "renameat2", 319: "memfd_create",
        320: "kexec_file_load", 321: "bpf", 322: "execveat", 425: "io_uring_setup",
        434: "pidfd_open", 435: "clone3", 437: "openat2", 452: "fchmodat2",
    },
    AARCH64: {
        5: "setxattr", 6: "lsetxattr", 7: "fsetxattr", 14: "removexattr", 15: "lremovexattr",
        16: "fremovexattr", 29: "ioctl", 33: "mknodat", 34: "mkdirat", 35: "unlinkat",
        36: "symlinkat", 37: "linkat", 38: "renameat", 39: "umount2", 40: "mount",
        41: "pivot_root", 45: "truncate", 46: "ftruncate", 49: "chdir", 51: "chroot",
        52: "fchmod", 53: "fchmodat", 54: "fchownat", 55: "fchown", 56: "openat", 57: "close",
        63: "read", 64: "write", 89: "acct", 91: "capset", 93: "exit", 97: "unshare",
        104: "kexec_load", 105: "init_module", 106: "delete_module", 112: "clock_settime",
        116: "syslog", 117: "ptrace", 129: "kill", 130: "tkill", 131: "tgkill", 142: "reboot",
        143: "setregid", 144: "setgid", 145: "setreuid", 146: "setuid", 147: "setresuid",
        149: "setresgid", 151: "setfsuid", 152: "setfsgid", 161: "sethostname",
        162: "setdomainname", 170: "settimeofday", 171: "adjtimex", 198: "socket", 200: "bind",
        201: "listen", 202: "accept", 203: "connect", 206: "sendto", 207: "recvfrom",
        211: "sendmsg", 212: "recvmsg", 217: "add_key", 218: "request_key", 219: "keyctl",
        220: "clone", 221: "execve", 226: "mprotect", 241: "perf_event_open", 242: "accept4",
        265: "open_by_handle_at", 268: "setns", 270: "process_vm_readv",
        271: "process_vm_writev", 273: "finit_module", 276: "renameat2", 279: "memfd_create",
        280: "bpf", 281: "execveat", 425: "io_uring_setup", 434: "pidfd_open", 435: "clone3",
        437: "openat2", 452: "fchmodat2",
    },
}  # fmt: skip


def syscall_name(arch: str | None, number: str | None) -> str | None:
    if arch is None or number is None or not number.isdigit():
        return None
    return _TABLES.get(arch.lower(), {}).get(int(number))
