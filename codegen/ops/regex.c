/* regex.c - compiles an RE2-syntax pattern into a small NFA program at compile time.
 *
 * RegexFullMatch runs the program with a Pike-style state-set simulation (rt_rx_match in
 * runtime/rt_control.h): linear in the input, no recursion, no heap, a work area of
 * 4 ints per instruction. The pattern is parsed by recursive descent (alternation,
 * concatenation, repetition, atoms) straight into instructions; counted repetition
 * copies its operand's instructions. Supported: literals and escapes, . [classes]
 * (ASCII members, negation), \d \w \s and their negations, \b \B ^ $ \A \z, groups
 * (plain, (?:...), named), | * + ? {n} {n,} {n,m} and their lazy forms (same language).
 * Matching is over UTF-8: '.', negated classes and \D \W \S take a whole multi-byte
 * character; \w, \d, \s and case are ASCII, as in RE2. Unsupported syntax (flags,
 * Unicode classes, backreferences, which RE2 lacks too) is an error naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define RX_MAX_INST 20000

typedef struct Parser {
	const char *p;
	RxProg *prog;
	int depth;
} Parser;

static int fail(Parser *ps, const char *msg)
{
	if (!ps->prog->err[0])
		snprintf(ps->prog->err, sizeof ps->prog->err, "%s at offset %d", msg,
			 (int)(ps->p - ps->prog->pattern));
	return -1;
}

static int emit(Parser *ps, int op, int x, int y, int cls)
{
	RxProg *g = ps->prog;
	if (g->n >= RX_MAX_INST)
		return fail(ps, "pattern is too large");
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		RxInst *ni = realloc(g->inst, (size_t)g->cap * sizeof *ni);
		if (!ni)
			return fail(ps, "out of memory");
		g->inst = ni;
	}
	g->inst[g->n] = (RxInst){(uint8_t)op, x, y, cls};
	return g->n++;
}

static int new_class(Parser *ps, const uint8_t bits[32])
{
	RxProg *g = ps->prog;
	for (int i = 0; i < g->ncls; i++)
		if (memcmp(g->cls[i], bits, 32) == 0)
			return i;
	if (g->ncls == g->capcls) {
		g->capcls = g->capcls ? 2 * g->capcls : 16;
		uint8_t(*nc)[32] = realloc(g->cls, (size_t)g->capcls * sizeof *nc);
		if (!nc)
			return fail(ps, "out of memory");
		g->cls = nc;
	}
	memcpy(g->cls[g->ncls], bits, 32);
	return g->ncls++;
}

static void set_bit(uint8_t b[32], int c) { b[c >> 3] |= (uint8_t)(1u << (c & 7)); }

static void set_range(uint8_t b[32], int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		set_bit(b, c);
}

/* A fragment: instructions [start, end) whose exits all lead to `end`. Instruction
   targets are absolute, so fragments are built in place and copied with an offset. */
typedef struct Frag {
	int start, end;
} Frag;

/* A class matching one character: ASCII bytes in `bits`, plus any whole multi-byte
   UTF-8 character when `other` is set. */
static int char_class(Parser *ps, const uint8_t bits[32], bool other, Frag *f)
{
	f->start = ps->prog->n;
	int c = new_class(ps, bits);
	if (c < 0)
		return -1;
	if (!other) {
		if (emit(ps, RX_CLASS, ps->prog->n + 1, 0, c) < 0)
			return -1;
		f->end = ps->prog->n;
		return 0;
	}
	/* split ascii | 2-byte | 3-byte | 4-byte; every branch jumps to the end */
	uint8_t lead2[32] = {0}, lead3[32] = {0}, lead4[32] = {0}, cont[32] = {0};
	set_range(lead2, 0xc2, 0xdf);
	set_range(lead3, 0xe0, 0xef);
	set_range(lead4, 0xf0, 0xf4);
	set_range(cont, 0x80, 0xbf);
	int l2 = new_class(ps, lead2), l3 = new_class(ps, lead3), l4 = new_class(ps, lead4);
	int ct = new_class(ps, cont);
	if (l2 < 0 || l3 < 0 || l4 < 0 || ct < 0)
		return -1;
	int b = ps->prog->n;
	static const int shape[13][3] = {
		/* op, x, y relative to b (end = 13); the class index is filled in below */
		{RX_SPLIT, 1, 2}, {RX_CLASS, 13, 0}, /* one ASCII byte */
		{RX_SPLIT, 3, 5}, {RX_CLASS, 4, 0}, {RX_CLASS, 13, 0}, /* 2-byte character */
		{RX_SPLIT, 6, 9}, {RX_CLASS, 7, 0}, {RX_CLASS, 8, 0}, {RX_CLASS, 13, 0}, /* 3 */
		{RX_CLASS, 10, 0}, {RX_CLASS, 11, 0}, {RX_CLASS, 12, 0}, {RX_CLASS, 13, 0}, /* 4 */
	};
	const int cls[13] = {0, c, 0, l2, ct, 0, l3, ct, ct, l4, ct, ct, ct};
	for (int k = 0; k < 13; k++) {
		int y = shape[k][0] == RX_SPLIT ? b + shape[k][2] : 0;
		if (emit(ps, shape[k][0], b + shape[k][1], y, cls[k]) < 0)
			return -1;
	}
	f->end = ps->prog->n;
	return 0;
}

static int parse_alt(Parser *ps, Frag *f);

/* Adds the members of escape `c` (after a backslash) to bits; *neg for \D \W \S.
   Returns 1 if it is a class escape, 0 if a literal (*lit set), -1 on error. */
static int escape(Parser *ps, int c, uint8_t bits[32], bool *neg, int *lit)
{
	*neg = false;
	switch (c) {
	case 'd': case 'D':
		set_range(bits, '0', '9');
		*neg = c == 'D';
		return 1;
	case 'w': case 'W':
		set_range(bits, '0', '9');
		set_range(bits, 'a', 'z');
		set_range(bits, 'A', 'Z');
		set_bit(bits, '_');
		*neg = c == 'W';
		return 1;
	case 's': case 'S':
		set_bit(bits, ' ');
		set_range(bits, '\t', '\r');
		*neg = c == 'S';
		return 1;
	case 'n': *lit = '\n'; return 0;
	case 't': *lit = '\t'; return 0;
	case 'r': *lit = '\r'; return 0;
	case 'f': *lit = '\f'; return 0;
	case 'v': *lit = '\v'; return 0;
	case 'a': *lit = '\a'; return 0;
	case 'x': {
		int v = 0, k = 0;
		for (; k < 2; k++) {
			char h = ps->p[0];
			int dv = h >= '0' && h <= '9' ? h - '0' : (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
			if (dv < 0)
				break;
			v = v * 16 + dv;
			ps->p++;
		}
		if (k != 2 || v > 0x7f)
			return fail(ps, "only \\xHH escapes of ASCII are supported");
		*lit = v;
		return 0;
	}
	default:
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			return fail(ps, "unsupported escape");
		*lit = c;
		return 0;
	}
}

static void invert(uint8_t bits[32])
{
	for (int i = 0; i < 16; i++) /* ASCII half only: non-ASCII handled as whole chars */
		bits[i] = (uint8_t)~bits[i];
}

static int parse_class(Parser *ps, Frag *f)
{
	uint8_t bits[32] = {0};
	bool neg = false;
	if (*ps->p == '^') {
		neg = true;
		ps->p++;
	}
	bool first = true;
	while (*ps->p && (*ps->p != ']' || first)) {
		first = false;
		int lo;
		if (*ps->p == '[' && ps->p[1] == ':')
			return fail(ps, "POSIX classes are not supported");
		if (*ps->p == '\\') {
			ps->p++;
			int c = (unsigned char)*ps->p++;
			uint8_t eb[32] = {0};
			bool eneg;
			int r = escape(ps, c, eb, &eneg, &lo);
			if (r < 0)
				return -1;
			if (r == 1) {
				if (eneg)
					invert(eb);
				for (int i = 0; i < 16; i++)
					bits[i] |= eb[i];
				continue;
			}
		} else {
			lo = (unsigned char)*ps->p++;
		}
		int hi = lo;
		if (*ps->p == '-' && ps->p[1] && ps->p[1] != ']') {
			ps->p++;
			if (*ps->p == '\\') {
				ps->p++;
				uint8_t eb[32] = {0};
				bool eneg;
				if (escape(ps, (unsigned char)*ps->p++, eb, &eneg, &hi) != 0)
					return fail(ps, "bad class range");
			} else {
				hi = (unsigned char)*ps->p++;
			}
		}
		if (lo > 0x7f || hi > 0x7f)
			return fail(ps, "non-ASCII characters in classes are not supported");
		if (hi < lo)
			return fail(ps, "bad class range");
		set_range(bits, lo, hi);
	}
	if (*ps->p != ']')
		return fail(ps, "missing ]");
	ps->p++;
	if (neg) {
		invert(bits);
		bits['\n' >> 3] &= (uint8_t) ~(1u << ('\n' & 7));
	}
	return char_class(ps, bits, neg, f);
}

static int literal(Parser *ps, int c, Frag *f)
{
	uint8_t bits[32] = {0};
	set_bit(bits, c);
	return char_class(ps, bits, false, f);
}

static int assertion(Parser *ps, int kind, Frag *f)
{
	f->start = ps->prog->n;
	if (emit(ps, RX_ASSERT, kind, ps->prog->n + 1, 0) < 0)
		return -1;
	f->end = ps->prog->n;
	return 0;
}

static int parse_atom(Parser *ps, Frag *f)
{
	int c = (unsigned char)*ps->p;
	if (c == '(') {
		ps->p++;
		if (*ps->p == '?') {
			if (ps->p[1] == ':')
				ps->p += 2;
			else if (ps->p[1] == 'P' && ps->p[2] == '<') {
				const char *e = strchr(ps->p, '>');
				if (!e)
					return fail(ps, "bad group name");
				ps->p = e + 1;
			} else
				return fail(ps, "group flags are not supported");
		}
		if (++ps->depth > 200)
			return fail(ps, "groups nest too deeply");
		if (parse_alt(ps, f) < 0)
			return -1;
		ps->depth--;
		if (*ps->p != ')')
			return fail(ps, "missing )");
		ps->p++;
		return 0;
	}
	ps->p++;
	switch (c) {
	case '.': {
		uint8_t bits[32] = {0};
		set_range(bits, 0, 0x7f);
		bits['\n' >> 3] &= (uint8_t) ~(1u << ('\n' & 7));
		return char_class(ps, bits, true, f);
	}
	case '[':
		return parse_class(ps, f);
	case '^':
		return assertion(ps, RX_BOL, f);
	case '$':
		return assertion(ps, RX_EOL, f);
	case '\\': {
		int e = (unsigned char)*ps->p++;
		if (e == 'b' || e == 'B')
			return assertion(ps, e == 'b' ? RX_WORDB : RX_NWORDB, f);
		if (e == 'A' || e == 'z')
			return assertion(ps, e == 'A' ? RX_BOL : RX_EOL, f);
		uint8_t bits[32] = {0};
		bool neg;
		int lit;
		int r = escape(ps, e, bits, &neg, &lit);
		if (r < 0)
			return -1;
		if (r == 0)
			return literal(ps, lit, f);
		if (neg)
			invert(bits);
		return char_class(ps, bits, neg, f);
	}
	case '*': case '+': case '?': case '{':
		return fail(ps, "repetition of nothing");
	default:
		return literal(ps, c, f);
	}
}

/* Copies fragment f to the end of the program (targets shifted). */
static int copy_frag(Parser *ps, Frag f, Frag *out)
{
	int shift = ps->prog->n - f.start;
	out->start = ps->prog->n;
	for (int i = f.start; i < f.end; i++) {
		RxInst in = ps->prog->inst[i];
		int x = in.op == RX_ASSERT ? in.x : in.x + shift;
		if (emit(ps, in.op, x, in.op == RX_SPLIT || in.op == RX_ASSERT ? in.y + shift : in.y,
			 in.cls) < 0)
			return -1;
	}
	out->end = ps->prog->n;
	return 0;
}

/* Wraps the fragment just built ([f.start, end of program)) in a repetition. */
static int star(Parser *ps, Frag body, Frag *out)
{
	/* split(body, after); body; jmp split  -- built by moving body behind a split */
	int n = body.end - body.start;
	Frag moved;
	if (emit(ps, RX_SPLIT, 0, 0, 0) < 0)
		return -1;
	int split = ps->prog->n - 1;
	if (copy_frag(ps, body, &moved) < 0 || emit(ps, RX_JMP, split, 0, 0) < 0)
		return -1;
	ps->prog->inst[split].x = moved.start;
	ps->prog->inst[split].y = ps->prog->n;
	/* the original copy of body is dead: turn it into a jump over itself */
	if (n > 0) {
		ps->prog->inst[body.start] = (RxInst){RX_JMP, split, 0, 0};
		for (int i = body.start + 1; i < body.end; i++)
			ps->prog->inst[i] = (RxInst){RX_JMP, i + 1, 0, 0};
	}
	out->start = body.start;
	out->end = ps->prog->n;
	return 0;
}

static int optional(Parser *ps, Frag body, Frag *out)
{
	Frag moved;
	if (emit(ps, RX_SPLIT, 0, 0, 0) < 0)
		return -1;
	int split = ps->prog->n - 1;
	if (copy_frag(ps, body, &moved) < 0)
		return -1;
	ps->prog->inst[split].x = moved.start;
	ps->prog->inst[split].y = ps->prog->n;
	ps->prog->inst[body.start] = (RxInst){RX_JMP, split, 0, 0};
	for (int i = body.start + 1; i < body.end; i++)
		ps->prog->inst[i] = (RxInst){RX_JMP, i + 1, 0, 0};
	out->start = body.start;
	out->end = ps->prog->n;
	return 0;
}

static int parse_count(Parser *ps, int *v)
{
	if (*ps->p < '0' || *ps->p > '9')
		return -1;
	long x = 0;
	while (*ps->p >= '0' && *ps->p <= '9') {
		x = x * 10 + (*ps->p++ - '0');
		if (x > 1000)
			return fail(ps, "repetition count above 1000");
	}
	*v = (int)x;
	return 0;
}

/* Turns [start, end) into jumps falling through to end: the fragment is dead code once
   a copy of it has been placed elsewhere. */
static void kill_frag(Parser *ps, Frag f)
{
	for (int i = f.start; i < f.end; i++)
		ps->prog->inst[i] = (RxInst){RX_JMP, i + 1, 0, 0};
}

/* {n}, {n,}, {n,m} (and + as {1,}): n copies, then a star or m-n optional copies, all
   appended from a saved copy of the operand, whose original place becomes dead jumps
   that fall through to the appended code. */
static int counted(Parser *ps, Frag body, int lo, int hi, Frag *out)
{
	int n = body.end - body.start;
	RxInst *saved = malloc(((size_t)n + 1) * sizeof *saved);
	if (!saved)
		return fail(ps, "out of memory");
	memcpy(saved, ps->prog->inst + body.start, (size_t)n * sizeof *saved);
	kill_frag(ps, body);
	int rc = 0;
	for (int i = 0; rc == 0 && i < lo + (hi < 0 ? 1 : hi - lo); i++) {
		/* append a copy of the saved operand, shifted to its new place */
		int shift = ps->prog->n - body.start;
		Frag c = {ps->prog->n, ps->prog->n + n}, tmp;
		for (int k = 0; rc == 0 && k < n; k++) {
			RxInst in = saved[k];
			int x = in.op == RX_ASSERT ? in.x : in.x + shift;
			int y = in.op == RX_SPLIT || in.op == RX_ASSERT ? in.y + shift : in.y;
			rc = emit(ps, in.op, x, y, in.cls) < 0 ? -1 : 0;
		}
		if (rc == 0 && i >= lo)
			rc = hi < 0 ? star(ps, c, &tmp) : optional(ps, c, &tmp);
	}
	free(saved);
	out->start = body.start;
	out->end = ps->prog->n;
	return rc;
}

static int parse_repeat(Parser *ps, Frag *f)
{
	if (parse_atom(ps, f) < 0)
		return -1;
	for (;;) {
		char c = *ps->p;
		Frag body = {f->start, ps->prog->n};
		if (c == '*' || c == '+' || c == '?') {
			ps->p++;
			if (c == '*' && star(ps, body, f) < 0)
				return -1;
			if (c == '+' && counted(ps, body, 1, -1, f) < 0)
				return -1;
			if (c == '?' && optional(ps, body, f) < 0)
				return -1;
		} else if (c == '{' && ps->p[1] >= '0' && ps->p[1] <= '9') {
			ps->p++;
			int lo, hi;
			if (parse_count(ps, &lo) < 0)
				return fail(ps, "bad repetition");
			hi = lo;
			if (*ps->p == ',') {
				ps->p++;
				hi = -1;
				if (*ps->p != '}' && parse_count(ps, &hi) < 0)
					return fail(ps, "bad repetition");
			}
			if (*ps->p != '}' || (hi >= 0 && hi < lo))
				return fail(ps, "bad repetition");
			ps->p++;
			if (counted(ps, body, lo, hi, f) < 0)
				return -1;
		} else {
			return 0;
		}
		if (*ps->p == '?') /* lazy: the same language */
			ps->p++;
	}
}

static int parse_concat(Parser *ps, Frag *f)
{
	f->start = f->end = ps->prog->n;
	while (*ps->p && *ps->p != '|' && *ps->p != ')') {
		Frag a;
		if (parse_repeat(ps, &a) < 0)
			return -1;
		f->end = ps->prog->n;
	}
	return 0;
}

static int parse_alt(Parser *ps, Frag *f)
{
	if (parse_concat(ps, f) < 0)
		return -1;
	while (*ps->p == '|') {
		ps->p++;
		/* split(left, right); left; jmp end; right -- left is moved behind the split */
		Frag left = {f->start, ps->prog->n}, moved, right;
		if (emit(ps, RX_SPLIT, 0, 0, 0) < 0)
			return -1;
		int split = ps->prog->n - 1;
		if (copy_frag(ps, left, &moved) < 0 || emit(ps, RX_JMP, 0, 0, 0) < 0)
			return -1;
		int jmp = ps->prog->n - 1;
		if (parse_concat(ps, &right) < 0)
			return -1;
		ps->prog->inst[split].x = moved.start;
		ps->prog->inst[split].y = right.start;
		ps->prog->inst[jmp].x = ps->prog->n;
		ps->prog->inst[left.start == left.end ? split : left.start] =
			left.start == left.end ? ps->prog->inst[split] : (RxInst){RX_JMP, split, 0, 0};
		for (int i = left.start + 1; i < left.end; i++)
			ps->prog->inst[i] = (RxInst){RX_JMP, i + 1, 0, 0};
		f->end = ps->prog->n;
	}
	return 0;
}

int rx_compile(const char *pattern, RxProg *prog)
{
	memset(prog, 0, sizeof *prog);
	prog->pattern = pattern;
	Parser ps = {pattern, prog, 0};
	Frag f;
	if (parse_alt(&ps, &f) < 0)
		return -1;
	if (*ps.p)
		return fail(&ps, "unbalanced )");
	if (emit(&ps, RX_MATCH, 0, 0, 0) < 0)
		return -1;
	return 0;
}

void rx_free(RxProg *prog)
{
	free(prog->inst);
	free(prog->cls);
	memset(prog, 0, sizeof *prog);
}
