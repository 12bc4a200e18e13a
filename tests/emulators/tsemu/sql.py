"""The Timestream SQL subset: tokenizer, parser and a compiler to SQLite over our store.

Statements: SELECT … FROM "db"."table" [WHERE] [GROUP BY] [HAVING] [ORDER BY] [OFFSET] [LIMIT],
DESCRIBE, SHOW DATABASES, SHOW TABLES [FROM db], SHOW MEASURES FROM db.table ([LIKE 'p'] on the
SHOWs).  Expressions are typed with Timestream's types while compiling, because the result's
ColumnInfo and every value's spelling depend on them, and because the store keeps TIMESTAMP as
int64 nanoseconds (so `time` arithmetic and comparisons are integer operations in SQLite).
Anything outside the subset is refused with a ValidationException naming the construct, so a
rehearsal never silently gets different semantics.
"""
import re

from .fmt import NS, parse_timestamp


class SqlError(Exception):
    """Bad or unsupported SQL; becomes a ValidationException."""


class NotFound(SqlError):
    """Unknown database/table in a query; also a ValidationException (as the service answers)."""


# --------------------------------------------------------------------------- tokenizer

_UNITS_NS = {"ns": 1, "us": 1000, "ms": 1000000, "s": NS, "m": 60 * NS, "h": 3600 * NS, "d": 86400 * NS}
_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<interval>\d+(?:ns|us|ms|s|m|h|d)(?![A-Za-z0-9_]))
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<mv>measure_value::[A-Za-z]+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_@$]*)
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<string>'(?:[^']|'')*')
  | (?P<op><=|>=|<>|!=|\|\||[=<>+\-*/%(),.;])
""", re.VERBOSE | re.DOTALL | re.IGNORECASE)

KEYWORDS = {
    "select", "from", "where", "group", "by", "having", "order", "limit", "offset", "asc", "desc",
    "and", "or", "not", "in", "is", "null", "between", "like", "as", "distinct", "all", "true",
    "false", "case", "when", "then", "else", "end", "cast", "interval", "timestamp", "nulls",
    "first", "last", "join", "union", "with", "describe", "show", "databases", "tables", "measures",
    "escape", "rows", "only", "fetch", "date",
}


# Keywords that may still name a column or table without quotes (Presto's non-reserved words
# among ours): a dimension called `timestamp` or `date` is common in user tables.
NONRESERVED = {"databases", "tables", "measures", "first", "last", "rows", "only", "date", "timestamp",
               "interval", "nulls", "escape", "fetch", "describe", "show", "all"}


class Tok:
    __slots__ = ("kind", "text", "value", "pos")

    def __init__(self, kind, text, value, pos):
        self.kind, self.text, self.value, self.pos = kind, text, value, pos

    def __repr__(self):
        return f"Tok({self.kind},{self.text!r})"


def _where(sql, pos):
    line = sql.count("\n", 0, pos) + 1
    col = pos - (sql.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}:{col}"


def tokenize(sql):
    toks = []
    pos = 0
    n = len(sql)
    while pos < n:
        m = _TOKEN_RE.match(sql, pos)
        if not m:
            raise SqlError(f"{_where(sql, pos)}: mismatched input '{sql[pos:pos + 10]}'")
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "ws":
            pass
        elif kind == "interval":
            num = re.match(r"\d+", text).group(0)
            toks.append(Tok("interval", text, int(num) * _UNITS_NS[text[len(num):].lower()], pos))
        elif kind == "number":
            if re.fullmatch(r"\d+", text):
                toks.append(Tok("int", text, int(text), pos))
            else:
                toks.append(Tok("float", text, float(text), pos))
        elif kind == "mv":
            toks.append(Tok("ident", text, text.lower(), pos))
        elif kind == "ident":
            low = text.lower()
            toks.append(Tok("kw" if low in KEYWORDS else "ident", text, low, pos))
        elif kind == "qident":
            toks.append(Tok("qident", text, text[1:-1].replace('""', '"'), pos))
        elif kind == "string":
            toks.append(Tok("string", text, text[1:-1].replace("''", "'"), pos))
        else:
            toks.append(Tok("op", text, text, pos))
        pos = m.end()
    while toks and toks[-1].kind == "op" and toks[-1].text == ";":
        toks.pop()
    toks.append(Tok("eof", "<EOF>", None, n))
    return toks


# --------------------------------------------------------------------------- parser (AST = tuples)

class Parser:
    def __init__(self, sql):
        self.sql = sql
        self.toks = tokenize(sql)
        self.i = 0

    # helpers
    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def err(self, msg=None, tok=None):
        tok = tok or self.peek()
        return SqlError(f"{_where(self.sql, tok.pos)}: {msg or f'mismatched input {tok.text!r}'}")

    def is_kw(self, *words, k=0):
        t = self.peek(k)
        return t.kind == "kw" and t.value in words

    def accept_kw(self, *words):
        if self.is_kw(*words):
            self.i += 1
            return True
        return False

    def expect_kw(self, word):
        if not self.accept_kw(word):
            raise self.err(f"mismatched input {self.peek().text!r}. Expecting: '{word.upper()}'")

    def is_op(self, *ops):
        t = self.peek()
        return t.kind == "op" and t.text in ops

    def accept_op(self, op):
        if self.is_op(op):
            self.i += 1
            return True
        return False

    def expect_op(self, op):
        if not self.accept_op(op):
            raise self.err(f"mismatched input {self.peek().text!r}. Expecting: '{op}'")

    def name(self):
        """An identifier: returns (text, quoted)."""
        t = self.peek()
        if t.kind == "qident":
            self.i += 1
            return t.value, True
        if t.kind == "ident" or (t.kind == "kw" and t.value in NONRESERVED):
            self.i += 1
            return t.text, False
        raise self.err(f"mismatched input {t.text!r}. Expecting: <identifier>")

    # statements
    def statement(self):
        t = self.peek()
        if t.kind == "kw" and t.value == "select":
            st = self.select()
        elif t.kind == "kw" and t.value == "describe":
            self.i += 1
            st = ("describe", self.table_ref(alias=False))
        elif t.kind == "kw" and t.value == "show":
            st = self.show()
        elif t.kind == "kw" and t.value in ("with",):
            raise self.err("WITH (common table expressions) is not supported by the emulator")
        elif t.kind == "ident" and t.value in ("unload", "insert", "create", "drop", "delete", "update", "explain"):
            raise self.err(f"{t.value.upper()} is not supported by the emulator")
        else:
            raise self.err(f"mismatched input {t.text!r}. Expecting: 'SELECT', 'DESCRIBE', 'SHOW'")
        if self.peek().kind != "eof":
            t = self.peek()
            if t.kind == "kw" and t.value in ("join", "union"):
                raise self.err(f"{t.value.upper()} is not supported by the emulator")
            if t.kind == "op" and t.text == ",":
                raise self.err("more than one table in FROM (joins) is not supported by the emulator")
            raise self.err(f"extraneous input {t.text!r}")
        return st

    def show(self):
        self.expect_kw("show")
        if self.accept_kw("databases"):
            return ("show_databases", self.like())
        if self.accept_kw("tables"):
            db = None
            if self.accept_kw("from") or self.accept_kw("in"):
                db = self.name()
            return ("show_tables", db, self.like())
        if self.accept_kw("measures"):
            if not (self.accept_kw("from") or self.accept_kw("in")):
                raise self.err("SHOW MEASURES needs FROM db.table")
            return ("show_measures", self.table_ref(alias=False), self.like())
        raise self.err("expecting DATABASES, TABLES or MEASURES after SHOW")

    def like(self):
        if self.accept_kw("like"):
            t = self.peek()
            if t.kind != "string":
                raise self.err("LIKE needs a string pattern")
            self.i += 1
            return t.value
        return None

    def table_ref(self, alias=True):
        tok = self.peek()
        if self.is_op("("):
            raise self.err("subqueries are not supported by the emulator")
        first = self.name()
        if not self.accept_op("."):
            raise self.err(f"table '{first[0]}' must be qualified with its database, as \"db\".\"table\"", tok)
        second = self.name()
        if self.is_op("."):
            raise self.err("catalog-qualified table names are not supported", tok)
        al = None
        if alias:
            if self.accept_kw("as"):
                al = self.name()[0]
            elif self.peek().kind in ("ident", "qident"):
                al = self.name()[0]
        return (first, second, al, tok)

    def select(self):
        self.expect_kw("select")
        distinct = False
        if self.accept_kw("distinct"):
            distinct = True
        else:
            self.accept_kw("all")
        items = [self.select_item()]
        while self.accept_op(","):
            items.append(self.select_item())
        if not self.accept_kw("from"):
            raise self.err("SELECT without FROM is not supported by the emulator")
        table = self.table_ref()
        where = group = having = None
        order = []
        limit = offset = None
        if self.accept_kw("where"):
            where = self.expr()
        if self.accept_kw("group"):
            self.expect_kw("by")
            group = [self.expr()]
            while self.accept_op(","):
                group.append(self.expr())
        if self.accept_kw("having"):
            having = self.expr()
        if self.accept_kw("order"):
            self.expect_kw("by")
            order = [self.order_item()]
            while self.accept_op(","):
                order.append(self.order_item())
        for _ in range(2):
            if self.accept_kw("offset"):
                offset = self.int_lit()
                self.accept_kw("rows")
            elif self.accept_kw("limit"):
                if self.is_kw("all"):
                    self.i += 1
                else:
                    limit = self.int_lit()
        return ("select", distinct, items, table, where, group, having, order, limit, offset)

    def int_lit(self):
        t = self.peek()
        if t.kind != "int":
            raise self.err("expecting an integer")
        self.i += 1
        return t.value

    def select_item(self):
        if self.is_op("*"):
            self.i += 1
            return ("star",)
        e = self.expr()
        alias = None
        if self.accept_kw("as"):
            alias = self.name()[0]
        elif self.peek().kind in ("ident", "qident"):
            alias = self.name()[0]
        return ("item", e, alias)

    def order_item(self):
        e = self.expr()
        desc = False
        if self.accept_kw("desc"):
            desc = True
        else:
            self.accept_kw("asc")
        nulls = None
        if self.accept_kw("nulls"):
            if self.accept_kw("first"):
                nulls = "FIRST"
            else:
                self.expect_kw("last")
                nulls = "LAST"
        return (e, desc, nulls)

    # expressions, lowest precedence first
    def expr(self):
        return self.or_()

    def or_(self):
        e = self.and_()
        while self.accept_kw("or"):
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.not_()
        while self.accept_kw("and"):
            e = ("and", e, self.not_())
        return e

    def not_(self):
        if self.accept_kw("not"):
            return ("not", self.not_())
        return self.predicate()

    def predicate(self):
        e = self.concat()
        while True:
            tok = self.peek()
            if self.is_op("=", "<>", "!=", "<", "<=", ">", ">="):
                self.i += 1
                op = "<>" if tok.text == "!=" else tok.text
                e = ("cmp", op, e, self.concat(), tok)
                continue
            neg = False
            if self.is_kw("not") and self.is_kw("between", "in", "like", k=1):
                self.i += 1
                neg = True
            if self.accept_kw("between"):
                lo = self.concat()
                self.expect_kw("and")
                hi = self.concat()
                e = ("between", neg, e, lo, hi, tok)
            elif self.accept_kw("in"):
                self.expect_op("(")
                if self.is_kw("select"):
                    raise self.err("subqueries are not supported by the emulator")
                vals = [self.expr()]
                while self.accept_op(","):
                    vals.append(self.expr())
                self.expect_op(")")
                e = ("in", neg, e, vals, tok)
            elif self.accept_kw("like"):
                pat = self.concat()
                esc = None
                if self.accept_kw("escape"):
                    esc = self.concat()
                e = ("like", neg, e, pat, esc, tok)
            elif self.accept_kw("is"):
                n = self.accept_kw("not")
                self.expect_kw("null")
                e = ("isnull", n, e)
            else:
                return e

    def concat(self):
        e = self.additive()
        while self.is_op("||"):
            tok = self.peek()
            self.i += 1
            e = ("concat", e, self.additive(), tok)
        return e

    def additive(self):
        e = self.term()
        while self.is_op("+", "-"):
            tok = self.peek()
            self.i += 1
            e = ("arith", tok.text, e, self.term(), tok)
        return e

    def term(self):
        e = self.unary()
        while self.is_op("*", "/", "%"):
            tok = self.peek()
            self.i += 1
            e = ("arith", tok.text, e, self.unary(), tok)
        return e

    def unary(self):
        if self.is_op("-"):
            tok = self.peek()
            self.i += 1
            return ("neg", self.unary(), tok)
        if self.accept_op("+"):
            return self.unary()
        return self.primary()

    def primary(self):
        t = self.peek()
        if t.kind == "int":
            self.i += 1
            return ("lit", "BIGINT", t.value)
        if t.kind == "float":
            self.i += 1
            return ("lit", "DOUBLE", t.value)
        if t.kind == "string":
            self.i += 1
            return ("lit", "VARCHAR", t.value)
        if t.kind == "interval":
            self.i += 1
            return ("lit", "INTERVAL", t.value)
        if t.kind == "op" and t.text == "(":
            self.i += 1
            if self.is_kw("select"):
                raise self.err("subqueries are not supported by the emulator")
            e = self.expr()
            self.expect_op(")")
            return e
        if t.kind == "kw":
            v = t.value
            if v in ("true", "false"):
                self.i += 1
                return ("lit", "BOOLEAN", v == "true")
            if v == "null":
                self.i += 1
                return ("lit", "UNKNOWN", None)
            if v == "interval":
                self.i += 1
                s = self.peek()
                if s.kind != "string":
                    raise self.err("INTERVAL needs a quoted amount, as INTERVAL '1' HOUR")
                self.i += 1
                unit = self.peek()
                self.i += 1
                mult = {"second": NS, "seconds": NS, "minute": 60 * NS, "minutes": 60 * NS, "hour": 3600 * NS,
                        "hours": 3600 * NS, "day": 86400 * NS, "days": 86400 * NS,
                        "millisecond": 1000000, "milliseconds": 1000000}.get((unit.value or "").lower()
                                                                                if unit.kind != "eof" else "")
                if mult is None:
                    raise self.err("unsupported INTERVAL unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND)", unit)
                try:
                    return ("lit", "INTERVAL", int(float(s.value) * mult))
                except ValueError:
                    raise self.err("bad INTERVAL amount", s) from None
            if v in ("timestamp", "date") and self.peek(1).kind == "string":
                self.i += 1
                s = self.peek()
                self.i += 1
                try:
                    return ("lit", "TIMESTAMP", parse_timestamp(s.value))
                except ValueError as e:
                    raise self.err(f"Value cannot be cast to timestamp: {e}", s) from None
            if v == "cast":
                self.i += 1
                self.expect_op("(")
                e = self.expr()
                self.expect_kw("as")
                typ = self.peek()
                self.i += 1
                self.expect_op(")")
                return ("cast", e, (typ.text or "").upper(), typ)
            if v == "case":
                return self.case()
            if v not in NONRESERVED:
                raise self.err(f"mismatched input {t.text!r}")
        if t.kind in ("ident", "qident", "kw"):
            name, quoted = self.name()
            if self.is_op("(") and not quoted:
                return self.call(name.lower(), t)
            if not quoted and name.lower() in ("current_timestamp", "localtimestamp"):
                return ("func", "now", [], False, t)
            parts = [(name, quoted)]
            while self.is_op(".") and self.peek(1).kind in ("ident", "qident"):
                self.i += 1
                parts.append(self.name())
            return ("col", parts, t)
        raise self.err()

    def case(self):
        self.expect_kw("case")
        operand = None
        if not self.is_kw("when"):
            operand = self.expr()
        whens = []
        while self.accept_kw("when"):
            c = self.expr()
            self.expect_kw("then")
            whens.append((c, self.expr()))
        if not whens:
            raise self.err("CASE needs WHEN")
        other = None
        if self.accept_kw("else"):
            other = self.expr()
        self.expect_kw("end")
        return ("case", operand, whens, other)

    def call(self, fname, tok):
        self.expect_op("(")
        args = []
        distinct = False
        if self.is_op("*"):
            self.i += 1
            args = [("star",)]
        elif not self.is_op(")"):
            if self.accept_kw("distinct"):
                distinct = True
            args.append(self.expr())
            while self.accept_op(","):
                args.append(self.expr())
        self.expect_op(")")
        return ("func", fname, args, distinct, tok)


def parse(sql):
    return Parser(sql).statement()


# --------------------------------------------------------------------------- compiler

NUMERIC = ("BIGINT", "DOUBLE")
AGGREGATES = {"count", "min", "max", "sum", "avg", "approx_distinct", "count_if", "arbitrary", "any_value"}


def _q(name):
    return '"' + name.replace('"', '""') + '"'


def _strlit(s):
    return "'" + s.replace("'", "''") + "'"


def _floor_mod(x, n):
    """SQLite's % truncates toward zero; times before 1970 need the floor version."""
    return f"((({x}) % {n} + {n}) % {n})"


class Expr:
    __slots__ = ("sql", "type", "agg", "const", "is_const", "colname")

    def __init__(self, sql, typ, agg=False, const=None, is_const=False, colname=None):
        self.sql, self.type, self.agg, self.const, self.is_const, self.colname = sql, typ, agg, const, is_const, colname


class Compiler:
    """Compiles an AST against one table's columns (`cols`: name → (phys, type, attr))."""

    def __init__(self, sql, cols, now_ns, table_names=()):
        self.sql_text = sql
        self.cols = cols
        self.now = now_ns
        self.table_names = set(table_names)
        self.aliases = {}   # output alias → Expr (ORDER BY / GROUP BY may name them)
        self.saw_column = False

    def err(self, tok, msg):
        return SqlError(f"{_where(self.sql_text, tok.pos)}: {msg}" if tok is not None else msg)

    def column(self, parts, tok):
        if len(parts) > 1:
            qual = parts[-2][0]
            if qual not in self.table_names:
                raise self.err(tok, f"Column '{'.'.join(p[0] for p in parts)}' cannot be resolved")
        self.saw_column = True
        name, quoted = parts[-1]
        c = self.cols.get(name)
        if c is None and not quoted:
            matches = [k for k in self.cols if k.lower() == name.lower()]
            if len(matches) == 1:
                c = self.cols[matches[0]]
                name = matches[0]
        if c is None:
            if len(parts) == 1 and name in self.aliases:
                return self.aliases[name]
            raise self.err(tok, f"Column '{name}' does not exist")
        phys, typ, _attr = c
        return Expr(_q(phys), typ, colname=name)

    def coerce_pair(self, a, b, tok, op):
        """Make a comparison's operands comparable; a VARCHAR literal meets a TIMESTAMP as a time."""
        if a.type == "TIMESTAMP" and b.type == "VARCHAR" and b.is_const:
            b = self.ts_from_literal(b, tok)
        elif b.type == "TIMESTAMP" and a.type == "VARCHAR" and a.is_const:
            a = self.ts_from_literal(a, tok)
        ta, tb = a.type, b.type
        ok = (ta == tb or "UNKNOWN" in (ta, tb) or (ta in NUMERIC and tb in NUMERIC))
        if not ok:
            raise self.err(tok, f"'{op}' cannot be applied to {ta.lower()}, {tb.lower()}")
        return a, b

    def ts_from_literal(self, e, tok):
        try:
            v = parse_timestamp(e.const)
        except ValueError as ex:
            raise self.err(tok, f"Value cannot be cast to timestamp: {ex}") from None
        return Expr(str(v), "TIMESTAMP", const=v, is_const=True)

    def compile(self, node):
        kind = node[0]
        fn = getattr(self, "c_" + kind, None)
        if fn is None:
            raise SqlError(f"unsupported expression {kind}")
        return fn(node)

    def c_lit(self, node):
        _, typ, v = node
        if v is None:
            return Expr("NULL", "UNKNOWN", const=None, is_const=True)
        if typ == "VARCHAR":
            return Expr(_strlit(v), typ, const=v, is_const=True)
        if typ == "BOOLEAN":
            return Expr("1" if v else "0", typ, const=v, is_const=True)
        if typ == "DOUBLE":
            return Expr(repr(float(v)), typ, const=v, is_const=True)
        return Expr(str(v), typ, const=v, is_const=True)

    def c_col(self, node):
        return self.column(node[1], node[2])

    def c_star(self, node):
        return Expr("*", "UNKNOWN")

    def c_or(self, node):
        a, b = self.boolean(node[1]), self.boolean(node[2])
        return Expr(f"({a.sql} OR {b.sql})", "BOOLEAN", a.agg or b.agg)

    def c_and(self, node):
        a, b = self.boolean(node[1]), self.boolean(node[2])
        return Expr(f"({a.sql} AND {b.sql})", "BOOLEAN", a.agg or b.agg)

    def c_not(self, node):
        a = self.boolean(node[1])
        return Expr(f"(NOT {a.sql})", "BOOLEAN", a.agg)

    def boolean(self, node):
        e = self.compile(node)
        if e.type not in ("BOOLEAN", "UNKNOWN"):
            raise SqlError(f"a {e.type.lower()} expression is used where a boolean is needed")
        return e

    def c_cmp(self, node):
        _, op, l, r, tok = node
        a, b = self.coerce_pair(self.compile(l), self.compile(r), tok, op)
        if a.type == "VARCHAR" and op in ("=", "<>") and b.type == "VARCHAR":
            # SQLite compares TEXT with BINARY collation already: case-sensitive like Timestream.
            pass
        return Expr(f"({a.sql} {op} {b.sql})", "BOOLEAN", a.agg or b.agg)

    def c_between(self, node):
        _, neg, e, lo, hi, tok = node
        x = self.compile(e)
        x1, lo_e = self.coerce_pair(x, self.compile(lo), tok, "BETWEEN")
        x2, hi_e = self.coerce_pair(x, self.compile(hi), tok, "BETWEEN")
        return Expr(f"({x.sql} {'NOT ' if neg else ''}BETWEEN {lo_e.sql} AND {hi_e.sql})", "BOOLEAN",
                    x.agg or lo_e.agg or hi_e.agg)

    def c_in(self, node):
        _, neg, e, vals, tok = node
        x = self.compile(e)
        out = []
        for v in vals:
            _, ve = self.coerce_pair(x, self.compile(v), tok, "IN")
            out.append(ve.sql)
        return Expr(f"({x.sql} {'NOT ' if neg else ''}IN ({', '.join(out)}))", "BOOLEAN", x.agg)

    def c_like(self, node):
        _, neg, e, pat, esc, tok = node
        x = self.compile(e)
        p = self.compile(pat)
        if x.type not in ("VARCHAR", "UNKNOWN") or not (p.is_const and p.type == "VARCHAR"):
            raise self.err(tok, "LIKE needs a varchar and a constant pattern in the emulator")
        escape = None
        if esc is not None:
            ee = self.compile(esc)
            if not (ee.is_const and ee.type == "VARCHAR" and len(ee.const) == 1):
                raise self.err(tok, "ESCAPE must be a single character")
            escape = ee.const
        glob = like_to_glob(p.const, escape)
        return Expr(f"({'NOT ' if neg else ''}({x.sql} GLOB {_strlit(glob)}))", "BOOLEAN", x.agg)

    def c_isnull(self, node):
        _, neg, e = node
        x = self.compile(e)
        return Expr(f"({x.sql} IS {'NOT ' if neg else ''}NULL)", "BOOLEAN", x.agg)

    def c_concat(self, node):
        a, b = self.compile(node[1]), self.compile(node[2])
        return Expr(f"({self.as_text(a)} || {self.as_text(b)})", "VARCHAR", a.agg or b.agg)

    def as_text(self, e):
        if e.type == "TIMESTAMP":
            return f"ts_str({e.sql})"
        if e.type == "BOOLEAN":
            return f"(CASE WHEN {e.sql} IS NULL THEN NULL WHEN {e.sql} THEN 'true' ELSE 'false' END)"
        if e.type == "DOUBLE":
            return f"dbl_str({e.sql})"
        return e.sql

    def c_neg(self, node):
        x = self.compile(node[1])
        if x.type not in NUMERIC + ("INTERVAL", "UNKNOWN"):
            raise self.err(node[2], f"Cannot negate {x.type.lower()}")
        if x.is_const and x.const is not None:
            return Expr(str(-x.const) if x.type != "DOUBLE" else repr(-x.const), x.type, const=-x.const,
                        is_const=True)
        return Expr(f"(-{x.sql})", x.type, x.agg)

    def c_arith(self, node):
        _, op, l, r, tok = node
        a, b = self.compile(l), self.compile(r)
        ta, tb = a.type, b.type
        agg = a.agg or b.agg
        if op in "+-" and ta == "TIMESTAMP" and tb == "INTERVAL":
            return Expr(f"({a.sql} {op} {b.sql})", "TIMESTAMP", agg)
        if op == "+" and ta == "INTERVAL" and tb == "TIMESTAMP":
            return Expr(f"({a.sql} + {b.sql})", "TIMESTAMP", agg)
        if op == "-" and ta == "TIMESTAMP" and tb == "TIMESTAMP":
            return Expr(f"({a.sql} - {b.sql})", "INTERVAL", agg)
        if ta == "INTERVAL" and tb == "INTERVAL" and op in "+-":
            return Expr(f"({a.sql} {op} {b.sql})", "INTERVAL", agg)
        if ta in NUMERIC + ("UNKNOWN",) and tb in NUMERIC + ("UNKNOWN",):
            typ = "DOUBLE" if "DOUBLE" in (ta, tb) else "BIGINT"
            if op in "/%" and b.is_const and b.const == 0:
                raise self.err(tok, "Division by zero")
            if op == "/" and typ == "DOUBLE":
                return Expr(f"(CAST({a.sql} AS REAL) / {b.sql})", typ, agg)
            if op == "%" and typ == "DOUBLE":
                return Expr(f"math_fmod({a.sql}, {b.sql})", typ, agg)
            # BIGINT / and % truncate toward zero in Presto and in SQLite alike, so the native
            # operators serve (and keep `to_nanoseconds(time) % 1000 <> 0` fast on big tables).
            return Expr(f"({a.sql} {op} {b.sql})", typ, agg)
        raise self.err(tok, f"'{op}' cannot be applied to {ta.lower()}, {tb.lower()}")

    def c_cast(self, node):
        _, e, typ, tok = node
        x = self.compile(e)
        if typ == "VARCHAR":
            return Expr(self.as_text(x), "VARCHAR", x.agg)
        if typ in ("DOUBLE", "REAL"):
            if x.type == "VARCHAR":
                return Expr(f"str_dbl({x.sql})", "DOUBLE", x.agg)
            return Expr(f"CAST({x.sql} AS REAL)", "DOUBLE", x.agg)
        if typ in ("BIGINT", "INTEGER", "INT"):
            if x.type == "DOUBLE":
                return Expr(f"CAST(round({x.sql}) AS INTEGER)", "BIGINT", x.agg)
            if x.type == "VARCHAR":
                return Expr(f"str_int({x.sql})", "BIGINT", x.agg)
            return Expr(f"CAST({x.sql} AS INTEGER)", "BIGINT", x.agg)
        if typ == "TIMESTAMP":
            if x.type == "VARCHAR":
                if x.is_const:
                    return self.ts_from_literal(x, tok)
                return Expr(f"str_ts({x.sql})", "TIMESTAMP", x.agg)
            if x.type == "TIMESTAMP":
                return x
        if typ == "BOOLEAN" and x.type in ("BOOLEAN", "BIGINT"):
            return Expr(f"({x.sql} <> 0)", "BOOLEAN", x.agg)
        raise self.err(tok, f"Cannot cast {x.type.lower()} to {typ.lower()}")

    def c_case(self, node):
        _, operand, whens, other = node
        parts = ["CASE"]
        op = self.compile(operand) if operand is not None else None
        typ = "UNKNOWN"
        agg = op.agg if op else False
        if op:
            parts.append(op.sql)
        for c, v in whens:
            ce = self.compile(c) if op else self.boolean(c)
            ve = self.compile(v)
            if typ == "UNKNOWN":
                typ = ve.type
            elif ve.type not in (typ, "UNKNOWN") and not (ve.type in NUMERIC and typ in NUMERIC):
                raise SqlError(f"All CASE results must be the same type: {typ.lower()} and {ve.type.lower()}")
            parts.append(f"WHEN {ce.sql} THEN {ve.sql}")
            agg = agg or ce.agg or ve.agg
        if other is not None:
            oe = self.compile(other)
            if typ != "UNKNOWN" and oe.type not in (typ, "UNKNOWN") and not (oe.type in NUMERIC and typ in NUMERIC):
                raise SqlError(f"All CASE results must be the same type: {typ.lower()} and {oe.type.lower()}")
            parts.append(f"ELSE {oe.sql}")
            typ = oe.type if typ == "UNKNOWN" else typ
            agg = agg or oe.agg
        parts.append("END")
        return Expr("(" + " ".join(parts) + ")", typ, agg)

    def const_arg(self, args, i, typ, fname, tok):
        if len(args) <= i:
            raise self.err(tok, f"{fname}() needs {i + 1} argument(s)")
        e = self.compile(args[i])
        if not e.is_const or (e.type != typ and e.type != "UNKNOWN"):
            raise self.err(tok, f"argument {i + 1} of {fname}() must be a constant {typ.lower()}")
        return e.const

    def arity(self, args, n, fname, tok):
        if len(args) != n:
            raise self.err(tok, f"Unexpected parameters for function {fname}: expected {n} argument(s), got {len(args)}")

    def c_func(self, node):
        _, f, args, distinct, tok = node
        if f in AGGREGATES:
            return self.aggregate(f, args, distinct, tok)
        if f in ("now", "current_timestamp"):
            self.arity(args, 0, f, tok)
            return Expr(str(self.now), "TIMESTAMP", const=self.now, is_const=True)
        if f == "ago":
            self.arity(args, 1, f, tok)
            iv = self.const_arg(args, 0, "INTERVAL", f, tok)
            v = self.now - iv
            return Expr(str(v), "TIMESTAMP", const=v, is_const=True)
        if f in ("from_iso8601_timestamp", "from_iso8601_date"):
            self.arity(args, 1, f, tok)
            s = self.const_arg(args, 0, "VARCHAR", f, tok)
            try:
                v = parse_timestamp(s)
            except ValueError as ex:
                raise self.err(tok, f"{f}: {ex}") from None
            return Expr(str(v), "TIMESTAMP", const=v, is_const=True)
        xs = [self.compile(a) for a in args]
        agg = any(x.agg for x in xs)

        def need(types, i=0):
            if len(xs) <= i or xs[i].type not in types + ("UNKNOWN",):
                got = xs[i].type.lower() if len(xs) > i else "nothing"
                raise self.err(tok, f"Unexpected parameters ({got}) for function {f}. "
                                    f"Expected: {f}({'/'.join(t.lower() for t in types)})")
            return xs[i]

        if f == "to_nanoseconds":
            self.arity(args, 1, f, tok)
            x = need(("TIMESTAMP", "INTERVAL"))
            return Expr(x.sql, "BIGINT", agg)
        if f in ("to_milliseconds", "to_microseconds"):
            self.arity(args, 1, f, tok)
            x = need(("TIMESTAMP", "INTERVAL"))
            d = 1000000 if f == "to_milliseconds" else 1000
            return Expr(f"(({x.sql} - {_floor_mod(x.sql, d)}) / {d})", "BIGINT", agg)
        if f == "to_unixtime":
            self.arity(args, 1, f, tok)
            x = need(("TIMESTAMP",))
            return Expr(f"({x.sql} / 1e9)", "DOUBLE", agg)
        if f in ("from_milliseconds", "from_nanoseconds", "from_unixtime"):
            self.arity(args, 1, f, tok)
            x = need(NUMERIC)
            if f == "from_milliseconds":
                return Expr(f"(CAST({x.sql} AS INTEGER) * 1000000)", "TIMESTAMP", agg)
            if f == "from_nanoseconds":
                return Expr(f"CAST({x.sql} AS INTEGER)", "TIMESTAMP", agg)
            return Expr(f"CAST(round({x.sql} * 1e9) AS INTEGER)", "TIMESTAMP", agg)
        if f == "bin":
            self.arity(args, 2, f, tok)
            x = need(("TIMESTAMP",))
            iv = self.const_arg(args, 1, "INTERVAL", f, tok)
            if iv <= 0:
                raise self.err(tok, "bin() needs a positive interval")
            return Expr(f"({x.sql} - {_floor_mod(x.sql, iv)})", "TIMESTAMP", agg)
        if f == "date_trunc":
            self.arity(args, 2, f, tok)
            unit = self.const_arg(args, 0, "VARCHAR", f, tok).lower()
            x = need(("TIMESTAMP",), 1)
            fixed = {"millisecond": 1000000, "second": NS, "minute": 60 * NS, "hour": 3600 * NS, "day": 86400 * NS}
            if unit in fixed:
                n = fixed[unit]
                return Expr(f"({x.sql} - {_floor_mod(x.sql, n)})", "TIMESTAMP", agg)
            if unit == "week":  # ISO weeks start on Monday; 1970-01-01 was a Thursday
                off, n = 3 * 86400 * NS, 7 * 86400 * NS
                return Expr(f"({x.sql} - {_floor_mod(f'{x.sql} + {off}', n)})", "TIMESTAMP", agg)
            if unit in ("month", "quarter", "year"):
                return Expr(f"ts_trunc({_strlit(unit)}, {x.sql})", "TIMESTAMP", agg)
            raise self.err(tok, f"'{unit}' is not a valid TIMESTAMP field")
        if f in ("year", "month", "day", "hour", "minute", "second", "day_of_week", "dow", "day_of_year", "doy",
                 "week", "quarter", "millisecond"):
            self.arity(args, 1, f, tok)
            x = need(("TIMESTAMP",))
            return Expr(f"ts_field({_strlit(f)}, {x.sql})", "BIGINT", agg)
        if f in ("abs", "floor", "ceil", "ceiling", "sqrt", "ln", "exp"):
            self.arity(args, 1, f, tok)
            x = need(NUMERIC)
            if f == "abs":
                return Expr(f"abs({x.sql})", x.type, agg)
            typ = x.type if f in ("floor", "ceil", "ceiling") else "DOUBLE"
            return Expr(f"math_fn({_strlit(f)}, {x.sql})", typ, agg)
        if f == "round":
            if len(xs) not in (1, 2):
                raise self.err(tok, "round() takes 1 or 2 arguments")
            x = need(NUMERIC)
            d = xs[1].sql if len(xs) == 2 else "0"
            if x.type == "BIGINT" and len(xs) == 1:
                return x
            return Expr(f"round({x.sql}, {d})", "DOUBLE", agg)
        if f == "power" or f == "pow":
            self.arity(args, 2, f, tok)
            return Expr(f"math_pow({need(NUMERIC, 0).sql}, {need(NUMERIC, 1).sql})", "DOUBLE", agg)
        if f in ("lower", "upper", "length", "trim", "ltrim", "rtrim"):
            self.arity(args, 1, f, tok)
            x = need(("VARCHAR",))
            return Expr(f"{f}({x.sql})", "BIGINT" if f == "length" else "VARCHAR", agg)
        if f in ("substr", "substring"):
            if len(xs) not in (2, 3):
                raise self.err(tok, "substr() takes 2 or 3 arguments")
            need(("VARCHAR",))
            return Expr(f"substr({', '.join(x.sql for x in xs)})", "VARCHAR", agg)
        if f == "concat":
            if not xs:
                raise self.err(tok, "concat() needs arguments")
            return Expr("(" + " || ".join(self.as_text(x) for x in xs) + ")", "VARCHAR", agg)
        if f == "coalesce":
            if not xs:
                raise self.err(tok, "coalesce() needs arguments")
            typ = next((x.type for x in xs if x.type != "UNKNOWN"), "UNKNOWN")
            for x in xs:
                if x.type not in (typ, "UNKNOWN") and not (x.type in NUMERIC and typ in NUMERIC):
                    raise self.err(tok, "All COALESCE operands must be the same type")
            if len(xs) == 1:
                return xs[0]
            return Expr(f"coalesce({', '.join(x.sql for x in xs)})", typ, agg)
        if f == "if":
            if len(xs) not in (2, 3):
                raise self.err(tok, "if() takes 2 or 3 arguments")
            other = xs[2].sql if len(xs) == 3 else "NULL"
            return Expr(f"(CASE WHEN {xs[0].sql} THEN {xs[1].sql} ELSE {other} END)", xs[1].type, agg)
        raise self.err(tok, f"Function '{f}' not registered (not supported by the emulator)")

    def aggregate(self, f, args, distinct, tok):
        if f == "count":
            if args and args[0][0] == "star":
                return Expr("count(*)", "BIGINT", True)
            self.arity(args, 1, f, tok)
            x = self.compile(args[0])
            if x.agg:
                raise self.err(tok, "Cannot nest aggregations")
            return Expr(f"count({'DISTINCT ' if distinct else ''}{x.sql})", "BIGINT", True)
        if f == "approx_distinct":
            x = self.compile(args[0])
            return Expr(f"count(DISTINCT {x.sql})", "BIGINT", True)
        if f == "count_if":
            self.arity(args, 1, f, tok)
            x = self.boolean(args[0])
            return Expr(f"count(CASE WHEN {x.sql} THEN 1 END)", "BIGINT", True)
        self.arity(args, 1, f, tok)
        if args[0][0] == "star":
            raise self.err(tok, f"{f}(*) is not valid")
        x = self.compile(args[0])
        if x.agg:
            raise self.err(tok, "Cannot nest aggregations")
        d = "DISTINCT " if distinct else ""
        if f in ("min", "max", "arbitrary", "any_value"):
            fn = "min" if f in ("arbitrary", "any_value") else f
            if x.type == "BOOLEAN":
                return Expr(f"{fn}({d}{x.sql})", "BOOLEAN", True)
            return Expr(f"{fn}({d}{x.sql})", x.type, True)
        if x.type not in NUMERIC + ("UNKNOWN",):
            raise self.err(tok, f"Unexpected parameters ({x.type.lower()}) for function {f}. "
                                f"Expected: {f}(double) , {f}(bigint)")
        if f == "sum":
            if x.type == "BIGINT":
                return Expr(f"sum({d}{x.sql})", "BIGINT", True)
            return Expr(f"sum({d}{x.sql})", "DOUBLE", True)
        if f == "avg":
            return Expr(f"avg({d}{x.sql})", "DOUBLE", True)
        raise self.err(tok, f"Function '{f}' not registered")


def like_to_glob(pattern, escape=None):
    """SQL LIKE (case-sensitive in Presto) → SQLite GLOB (also case-sensitive)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape is not None and c == escape and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("[" + nxt + "]" if nxt in "*?[" else nxt)
            i += 2
            continue
        if c == "%":
            out.append("*")
        elif c == "_":
            out.append("?")
        elif c in "*?[":
            out.append("[" + c + "]")
        else:
            out.append(c)
        i += 1
    return "".join(out)


class Plan:
    """A compiled SELECT: SQLite text plus the Timestream name and type of each output column."""

    def __init__(self, sql, columns):
        self.sql = sql
        self.columns = columns  # [(name, TYPE)]


def compile_select(sql_text, st, table, now_ns):
    """`table` is the store's table object (columns() → ordered (name, phys, type, attr))."""
    _, distinct, items, tref, where, group, having, order, limit, offset = st
    cols_list = table.columns()
    cols = {name: (phys, typ, attr) for name, phys, typ, attr in cols_list}
    names = {tref[1][0]}
    if tref[2]:
        names.add(tref[2])
    comp = Compiler(sql_text, cols, now_ns, names)
    out_sql, out_cols, exprs = [], [], []
    for idx, it in enumerate(items):
        if it[0] == "star":
            for name, phys, typ, _attr in cols_list:
                out_sql.append(_q(phys))
                out_cols.append((name, typ))
                exprs.append(Expr(_q(phys), typ, colname=name))
            continue
        comp.saw_column = False
        e = comp.compile(it[1])
        if not comp.saw_column and not e.agg:
            e.is_const = True       # no column inside: allowed next to aggregates
        if e.type == "UNKNOWN" and e.sql == "*":
            raise SqlError("'*' is only valid as a whole select item or inside count(*)")
        name = it[2] or e.colname or f"_col{len(out_cols)}"
        out_sql.append(e.sql)
        out_cols.append((name, e.type if e.type != "UNKNOWN" else "UNKNOWN"))
        exprs.append(e)
        if it[2]:
            comp.aliases[it[2]] = e
    where_sql = ""
    if where is not None:
        w = comp.boolean(where)
        if w.agg:
            raise SqlError("WHERE clause cannot contain aggregations")
        where_sql = " WHERE " + w.sql

    def resolve_ref(node):
        """ORDER BY / GROUP BY may use an ordinal or an output alias."""
        if node[0] == "lit" and node[1] == "BIGINT":
            k = node[2]
            if not 1 <= k <= len(exprs):
                raise SqlError(f"position {k} is not in select list")
            return exprs[k - 1]
        if node[0] == "col" and len(node[1]) == 1:
            nm = node[1][0][0]
            if nm in comp.aliases and nm not in cols:
                return comp.aliases[nm]
        return comp.compile(node)

    group_sql = ""
    group_exprs = []
    if group:
        group_exprs = [resolve_ref(g) for g in group]
        for g in group_exprs:
            if g.agg:
                raise SqlError("GROUP BY clause cannot contain aggregations")
        group_sql = " GROUP BY " + ", ".join(g.sql for g in group_exprs)
    is_agg = bool(group) or any(e.agg for e in exprs)
    if is_agg:
        keys = {g.sql for g in group_exprs}
        for (name, _t), e in zip(out_cols, exprs):
            if not e.agg and not e.is_const and e.sql not in keys:
                raise SqlError(f"'{name}' must be an aggregate expression or appear in GROUP BY clause")
    having_sql = ""
    if having is not None:
        h = comp.boolean(having)
        having_sql = " HAVING " + h.sql
    order_sql = ""
    if order:
        parts = []
        for node, desc, nulls in order:
            e = resolve_ref(node)
            # Presto puts NULLs last in both directions unless told otherwise; SQLite would not.
            parts.append(f"{e.sql} {'DESC' if desc else 'ASC'} NULLS {nulls or 'LAST'}")
        order_sql = " ORDER BY " + ", ".join(parts)
    lim = ""
    if limit is not None or offset is not None:
        lim = f" LIMIT {limit if limit is not None else -1}"
        if offset:
            lim += f" OFFSET {offset}"
    sql = (f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(out_sql)} FROM {_q(table.phys)}"
           f"{where_sql}{group_sql}{having_sql}{order_sql}{lim}")
    return Plan(sql, out_cols)
