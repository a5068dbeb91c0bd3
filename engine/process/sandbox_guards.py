"""Run-time guards for diagram scripts: the globals that `scripting` hands to exec/eval.

RestrictedPython only rewrites source; whether a script can escape depends on these functions.
Attribute access follows a type allowlist (plain data and datetimes), because a name blocklist
misses something with every Python release. Sizes are checked before a big object is built:
once `'a' * 10**9` has been computed, the worker is already out of memory. Every guard is bound
to one `Run`, so a function a script leaves behind keeps the deadline it was born with.
"""

from __future__ import annotations

import builtins
import datetime as dt
import gc
import operator
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

MAX_ITEMS = 1_000_000  # longest str/list/tuple one operation may build
MAX_INT_BITS = 100_000  # widest int one operation may build (about 30,000 decimal digits)
RUN_BUDGET = 20_000_000  # items, chars and 64-bit words one evaluate/execute call may allocate in total
MEMORY_LIMIT = 256 * 1024 * 1024  # bytes one evaluate/execute call may grow the process by
WALL_FACTOR = 10  # a run also ends after this many times its CPU limit on the wall clock
_MEMORY_EVERY = 64  # ticks between two looks at the process's memory
_CHECK_EVERY = 1000
_MAX_SPEC = 200  # longest f-string format spec; datetime specs go to strftime and expand


class ScriptTimeout(BaseException):
    """A script ran past its deadline. A BaseException so that `except Exception` cannot swallow it."""


class SandboxViolation(Exception):
    """A guard refused an operation at run time (attribute, size limit, non-JSON data)."""


class _CollectorTime(threading.local):
    """The CPU and clock time this thread has spent in Python's garbage collector. A full
    collection walks every object of the process, so in a long-running worker with a large heap it
    can take more than a script's whole limit; it is the process's cost, not the script's, and is
    not charged to the script it interrupts."""

    started = (0.0, 0.0)
    cpu = 0.0
    wall = 0.0


_COLLECTOR = _CollectorTime()


def _on_collection(phase: str, _info: dict[str, Any]) -> None:
    if phase == "start":
        _COLLECTOR.started = (time.thread_time(), time.monotonic())
    else:
        cpu, wall = _COLLECTOR.started
        _COLLECTOR.cpu += time.thread_time() - cpu
        _COLLECTOR.wall += time.monotonic() - wall


gc.callbacks.append(_on_collection)


def script_cpu_time() -> float:
    """This thread's CPU time, less what it spent collecting garbage."""
    return time.thread_time() - _COLLECTOR.cpu


def script_clock() -> float:
    """The monotonic clock, less the time this thread spent collecting garbage."""
    return time.monotonic() - _COLLECTOR.wall


class Run:
    """Deadline and allocation budget of one outermost evaluate/execute call.

    Once a limit is hit it stays hit: a script that swallows the error fails at its next loop
    iteration or allocation, and `finish()` fails the run even if the script got to its end.
    The budget exists because per-operation limits alone let a loop append 1 MB strings at
    gigabytes per second, far faster than any deadline could notice.
    """

    def __init__(self, time_limit: float) -> None:
        self.time_limit = time_limit
        # The limit is the thread's CPU time: a script is stopped for the work it does, not for the
        # time a loaded machine keeps its thread waiting (a run lives on one thread), nor for the
        # garbage collector's passes over the whole process (on either clock). The wall clock
        # bounds what spends no CPU, a helper waiting on something, at WALL_FACTOR times the limit.
        self.deadline = script_cpu_time() + time_limit
        self.wall_deadline = script_clock() + time_limit * WALL_FACTOR
        self.expired = False
        self.used = 0
        self._next_check = _CHECK_EVERY
        self._ticks = 0
        self._memory_base = resident_bytes()

    def timed_out(self) -> bool:
        self.expired = (
            self.expired or script_cpu_time() > self.deadline or script_clock() > self.wall_deadline
        )
        return self.expired

    def tick(self) -> None:
        if self.timed_out():
            raise ScriptTimeout(f"script ran longer than its limit of {self.time_limit:g} s")
        self._ticks += 1
        if self._ticks % _MEMORY_EVERY == 0:
            self._check_memory()

    def _check_memory(self) -> None:
        """Bytes, not operations: what the counted allocations miss (a set, a dict of dicts) still
        shows in the process's resident memory."""
        now = resident_bytes()
        if now is not None and self._memory_base is not None and now - self._memory_base > MEMORY_LIMIT:
            self.used = RUN_BUDGET + 1  # stays hit, like the deadline
            raise SandboxViolation(
                f"script made the process grow by more than {MEMORY_LIMIT // (1024 * 1024)} MB of memory"
            )

    def charge(self, units: int) -> None:
        self.used += units
        if self.used > RUN_BUDGET:
            raise SandboxViolation(f"script allocated more than {RUN_BUDGET:,} items in one run")
        if self.used >= self._next_check:
            self._next_check = self.used + _CHECK_EVERY
            self.tick()

    def finish(self) -> None:
        self.tick()
        self.charge(0)

    def items(self, count: int, pay: bool = True) -> None:
        """Refuse building a sequence of `count` items, or pay for it."""
        if count > MAX_ITEMS:
            raise SandboxViolation(f"result would have {count:,} items or more; the limit is {MAX_ITEMS:,}")
        self.charge(max(count, 0) if pay else 0)

    def bits(self, count: int) -> None:
        if count > MAX_INT_BITS:
            raise SandboxViolation(f"result would be a {count:,}-bit integer; the limit is {MAX_INT_BITS:,}")
        self.charge(max(count, 0) // 64)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """The process's resident memory, from /proc (None where there is none: the check is skipped)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


# --- sizes, measured before anything is built ------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)
_SIZED = (*_SEQUENCES, dict, set, frozenset)
_CONTAINERS = (list, tuple, dict, set, frozenset, BaseException)
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _units(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 1


def _width(digits: str) -> int:
    return int(digits) if len(digits) < 8 else MAX_ITEMS + 1


def _leaf_weight(value: Any) -> int:
    """Rendered length of a scalar: str() of a short value never needs its parts measured."""
    if isinstance(value, (str, bytes)):
        return (1 if isinstance(value, str) else 4) * len(value) + 3
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    return 24 if isinstance(value, (float, bool, type(None))) else 200


def _parts(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return value.args if isinstance(value, BaseException) else value


def render_weight(root: Any, limit: int = MAX_ITEMS) -> int:
    """Upper estimate of len(str(root)); stops counting once past `limit`.

    Shared references count at every appearance, as str() renders them, but each distinct
    container is walked once (memoised by id), so `[s] * 1000` of a long `s` costs 1000 steps.
    """
    memo: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[int, Iterator[Any], list[int]]] = []
    total = [0]

    def enter(value: Any, into: list[int]) -> None:
        if not isinstance(value, _CONTAINERS):
            into[0] += _leaf_weight(value) + 2
        elif id(value) in memo or id(value) in open_:
            into[0] += memo.get(id(value), 5) + 2  # 5: a cycle renders as '[...]'
        else:
            open_.add(id(value))
            stack.append((id(value), iter(_parts(value)), [2]))

    enter(root, total)
    while stack and stack[-1][2][0] <= limit:
        key, parts, weight = stack[-1]
        part = next(parts, stack)
        if part is not stack:
            enter(part, weight)
            continue
        stack.pop()
        open_.discard(key)
        memo[key] = weight[0]
        (stack[-1][2] if stack else total)[0] += weight[0] + 2
    return total[0] if not stack else limit + 1


def _check_percent(run: Run, fmt: str | bytes, args: Any) -> None:
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    size = len(text) + render_weight(args)
    for width in (w for match in _PERCENT.finditer(text) for w in match.groups() if w):
        if width == "*":
            raise SandboxViolation("'*' widths in % formatting are not allowed")
        size += _width(width)
    run.items(size)


def _check_binop(run: Run, op: str, a: Any, b: Any) -> None:
    """Size of `a op b` from the operands' sizes, so that the refusal comes before the allocation."""
    la, lb = (len(v) if isinstance(v, _SEQUENCES) else None for v in (a, b))
    ints = isinstance(a, int) and isinstance(b, int)
    if op == "+" and la is not None and lb is not None:
        run.items(la + lb)
    elif op == "*" and ints:
        run.bits(a.bit_length() + b.bit_length())
    elif op == "*" and isinstance(a, int) and lb is not None:
        run.items(a * lb)
    elif op == "*" and isinstance(b, int) and la is not None:
        run.items(b * la)
    elif op == "**" and ints and b > 0 and abs(a) > 1:
        run.bits(abs(a).bit_length() * b)
    elif op == "<<" and ints and b > 0:
        run.bits(a.bit_length() + b)
    elif op == "%" and isinstance(a, (str, bytes)):
        _check_percent(run, a, b)


_OPERATORS = "+:add -:sub *:mul /:truediv //:floordiv %:mod **:pow <<:lshift >>:rshift &:and |:or ^:xor"
_INPLACE = {
    f"{op}=": getattr(operator, f"i{name}") for op, name in (p.split(":") for p in _OPERATORS.split())
}
_BINOPS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}


# --- str / list methods whose result size depends on an argument ------------------------------


def _join(run: Run, sep: str, items: Iterable[Any]) -> str:
    parts = list(items)
    run.items(sum(len(p) for p in parts if isinstance(p, str)) + len(sep) * max(len(parts) - 1, 0))
    return sep.join(parts)


def _replace(run: Run, text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if count < 0 else min(text.count(old), count)
    run.items(len(text) + hits * max(len(new) - len(old), 0))
    return text.replace(old, new, count)


def _expandtabs(run: Run, text: str, tabsize: int = 8) -> str:
    run.items(len(text) + text.count("\t") * max(tabsize, 0))
    return text.expandtabs(tabsize)


def _padder(name: str) -> Callable[..., str]:
    def pad(run: Run, text: str, width: int, *fill: str) -> str:
        run.items(width)
        return str(getattr(text, name)(width, *fill))

    return pad


def _extend(run: Run, target: list[Any], items: Iterable[Any]) -> None:
    values = items if isinstance(items, _SIZED) else list(items)
    run.items(len(target) + len(values))
    target.extend(values)


_SPECIAL: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (str, "expandtabs"): _expandtabs,
    **{(str, name): _padder(name) for name in ("ljust", "rjust", "center", "zfill")},
    (list, "extend"): _extend,
}
_ATTR_TYPES = frozenset(
    {str, int, float, bool, list, dict, tuple, set, frozenset, dt.date, dt.datetime, dt.timedelta, type(None)}
)
# format/format_map walk attributes by name; translate expands unboundedly; to_bytes(10**9) allocates
# a gigabyte; now/today/utcnow would make a replay differ from the original run.
_NEVER = frozenset({"format", "format_map", "mro", "translate", "to_bytes", "now", "today", "utcnow"})
_SET_COPIES = {"copy", "union", "intersection", "difference", "symmetric_difference"}
_COPYING: dict[type, set[str]] = {
    **{list: {"copy"}, dict: {"copy", "fromkeys"}, set: _SET_COPIES, frozenset: _SET_COPIES},
    **{dt.date: {"strftime"}, dt.datetime: {"strftime"}},  # "%c" * n renders 12 characters per 2
}


class Guards:
    """The `_name_` hooks RestrictedPython's output calls, and the builtins, bound to one run."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def getattr(self, obj: Any, name: str) -> Any:
        kind = type(obj)
        if kind not in _ATTR_TYPES:
            raise SandboxViolation(f"attributes of {kind.__name__} objects are not accessible to scripts")
        if not isinstance(name, str) or name.startswith("_") or name in _NEVER:
            raise SandboxViolation(f"attribute {name!r} is not accessible to scripts")
        value = getattr(obj, name)
        if not callable(value):
            return value
        special, run = _SPECIAL.get((kind, name)), self.run
        copies = kind is str or name in _COPYING.get(kind, ())

        def method(*args: Any, **kwargs: Any) -> Any:
            result = special(run, obj, *args, **kwargs) if special else value(*args, **kwargs)
            run.charge(_units(result) if copies else 1)  # 1: map(x.append, x) must reach a deadline check
            return result

        return method

    def getitem(self, obj: Any, key: Any) -> Any:
        if isinstance(key, str) and key.startswith("__"):
            raise SandboxViolation(f"key {key!r} is not accessible to scripts")
        value = obj[key]
        if isinstance(key, slice):
            self.run.charge(_units(value))
        return value

    @staticmethod
    def write(obj: Any) -> Any:
        """Runs before `obj[k] = v`, `del obj[k]`, `obj.a = v`; slice assignment is refused when compiling."""
        if type(obj) in (dict, list):
            return obj
        raise SandboxViolation(f"scripts may change dicts and lists only, not {type(obj).__name__}")

    def getiter(self, obj: Any) -> Iterator[Any]:
        self.run.charge(1)
        return self._ticking(iter(obj))

    def _ticking(self, items: Iterator[Any]) -> Iterator[Any]:
        count = 0
        for item in items:
            count += 1
            if count == _CHECK_EVERY:
                count = 0
                self.run.charge(_CHECK_EVERY)
            yield item

    def binop(self, op: str, a: Any, b: Any) -> Any:
        _check_binop(self.run, op, a, b)
        return _BINOPS[op](a, b)

    def inplacevar(self, op: str, target: Any, value: Any) -> Any:
        if op == "+=" and type(target) is list and not isinstance(value, _SEQUENCES):
            value = list(value)  # list += generator extends in C: measure it first
        _check_binop(self.run, op[:-1], target, value)
        return _INPLACE[op](target, value)

    def starred(self, value: Any) -> Any:
        """`x = [*x, *x]` doubles without any operator; each starred part must fit the limit."""
        self.run.items(_units(value) if isinstance(value, _SIZED) else 0)
        return value

    def format(self, value: Any, conversion: int, spec: str) -> str:
        """An f-string field: `f"{1:>1000000000}"` and `f"{s}{s}"` build big strings with no operator."""
        if len(spec) > _MAX_SPEC:
            raise SandboxViolation(f"format specs longer than {_MAX_SPEC} characters are not allowed")
        size = len(value) if type(value) is str else render_weight(value)
        self.run.items(size + max((_width(d) for d in re.findall(r"\d+", spec)), default=0))
        return format(value if conversion == -1 else _CONVERSIONS[conversion](value), spec)

    def range(self, *args: int) -> range:
        numbers = range(*args)  # len() overflows past sys.maxsize; indexing does not
        self.run.items((numbers[-1] - numbers[0]) // numbers.step + 1 if numbers else 0, pay=False)
        return numbers

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        """With a modulus, pow is one uninterruptible C call: 20,000-bit operands run for 12 s."""
        if mod is None:
            return self.binop("**", base, exp)
        exp_bits, mod_bits = (v.bit_length() if isinstance(v, int) else 0 for v in (exp, mod))
        if exp_bits * (mod_bits // 30) ** 2 > 10**8:
            raise SandboxViolation("pow() with a modulus: operands too big to compute within the time limit")
        return pow(base, exp, mod)

    def sum(self, items: Iterable[Any], start: Any = 0) -> Any:
        """sum(lists, []) concatenates in C, past the `+` guard; only numbers take the fast path."""
        if isinstance(start, (int, float)):
            return sum(items, start)
        total = start
        for item in self.getiter(items):
            total = self.binop("+", total, item)
        return total

    def round(self, number: Any, ndigits: Any = None) -> Any:
        if isinstance(number, int) and isinstance(ndigits, int) and ndigits < 0:
            self.run.bits(-ndigits * 10 // 3)  # round() builds 10 ** -ndigits
        return round(number, ndigits)

    def _counted(self, build: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if build is str and len(args) == 1 and not kwargs and type(args[0]) is not str:
                self.run.items(render_weight(args[0]), pay=False)  # str([s] * 1000): 1000 copies of s
            result = build(*args, **kwargs)
            self.run.charge(len(result))
            return result

        return counted

    def compare(self, value: Any) -> Any:
        """An operand of a comparison, let through when comparing it cannot run away in C: its
        rendered size (shared parts counted at every appearance, as a comparison visits them) is
        within the limit."""
        if isinstance(value, _CONTAINERS) and render_weight(value) > MAX_ITEMS:
            raise SandboxViolation(
                "comparing a value this large (or this deeply shared) is not allowed: it could run "
                "for ever inside the interpreter, out of the time limit's reach"
            )
        return value

    def builtins(self) -> dict[str, Any]:
        """All of `__builtins__`: STATIC_BUILTINS plus counting constructors (isinstance maps them back)."""
        made = {kind: self._counted(kind) for kind in (str, list, tuple, set, frozenset, dict)}
        real: dict[Any, Any] = {wrapper: kind for kind, wrapper in made.items()}

        def isinstance_(obj: Any, classinfo: Any) -> bool:
            if isinstance(classinfo, tuple):
                classinfo = tuple(real.get(c, c) for c in classinfo)
            return isinstance(obj, real.get(classinfo, classinfo))

        guarded = {name: getattr(self, name) for name in ("range", "pow", "sum", "round")}
        ordering = {name: self._comparing(fn) for name, fn in (("min", min), ("max", max))}
        return {
            **STATIC_BUILTINS,
            **{kind.__name__: wrapper for kind, wrapper in made.items()},
            **{"sorted": self._comparing(self._counted(sorted)), "isinstance": isinstance_, **guarded},
            **ordering,
        }

    def _comparing(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`sorted`, `min`, `max` compare their items inside C: their arguments are checked as a
        comparison's operands are."""

        def checked(*args: Any, **kwargs: Any) -> Any:
            for arg in args:
                self.compare(arg)
            return fn(*args, **kwargs)

        return checked

    def hooks(self) -> dict[str, Any]:
        """Globals for exec/eval: `_getattr_` → self.getattr and so on, plus `__builtins__`."""
        own = (
            "getattr",
            "getitem",
            "write",
            "getiter",
            "inplacevar",
            "binop",
            "starred",
            "format",
            "compare",
        )
        return {
            **{f"_{name}_": getattr(self, name) for name in own},
            **{"_tick_": self.run.tick, "_apply_": _apply, "__builtins__": self.builtins()},
            **{
                "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
                "_unpack_sequence_": guarded_unpack_sequence,
            },
        }


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


_ALLOWED = (
    "abs all any bool divmod enumerate filter float int len map max min reversed zip Exception "
    "ValueError KeyError IndexError TypeError ZeroDivisionError NameError ArithmeticError LookupError"
)
STATIC_BUILTINS: dict[str, Any] = {
    **{"None": None, "True": True, "False": False},
    **{name: getattr(builtins, name) for name in _ALLOWED.split()},
}
GUARD_NAMES = frozenset(Guards(Run(0.0)).hooks()) - {"__builtins__"}
