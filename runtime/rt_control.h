/* rt_control.h - runtime support of the string ops: a bounded string pool and the
 * regular-expression matcher of RegexFullMatch.
 *
 * Generated code has no heap, so strings made at run time (StringConcat, case changes)
 * are written into a pool in the workspace whose size cnnc fixes at compile time; a
 * string that does not fit is cut short at a UTF-8 character boundary. The matcher runs
 * an NFA program compiled by cnnc (codegen/ops/regex.c) as a Pike-style state-set
 * simulation: linear time, no recursion, a caller-provided work area.
 */
#ifndef CNNC_RT_CONTROL_H
#define CNNC_RT_CONTROL_H

/* Writes a then b (b may be NULL), ASCII-lowercased (mode 1), uppercased (mode 2) or as
   is (0), as one string into pool[*used..cap) and returns it. */
RT_FN const char *rt_str_put(char *pool, size_t cap, size_t *used, const char *a, const char *b,
			     int mode)
{
	char *out = pool + *used;
	size_t room = *used < cap ? cap - *used : 0, k = 0;
	const char *parts[2] = {a, b};
	int cut = 0;
	if (room == 0)
		return "";
	for (int p = 0; p < 2 && !cut; p++)
		for (const char *s = parts[p]; s && *s; s++) {
			char c = *s;
			if (k + 1 >= room) {
				cut = 1;
				break;
			}
			if (mode == 1 && c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			else if (mode == 2 && c >= 'a' && c <= 'z')
				c = (char)(c - 32);
			out[k++] = c;
		}
	if (cut) { /* do not leave a partial UTF-8 character */
		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0)
			k--;
	}
	out[k] = 0;
	*used += k + 1;
	return out;
}

enum { RT_RX_CLASS = 1, RT_RX_SPLIT, RT_RX_JMP, RT_RX_ASSERT, RT_RX_MATCH };

RT_FN int rt_rx_word(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Adds instruction pc and everything reachable from it without consuming input (at
   position pos of s) to list; mark[] holds gen for instructions already added. */
RT_FN void rt_rx_add(const int32_t (*prog)[4], int32_t *list, int32_t *cnt, int32_t *mark,
		     int32_t gen, int32_t *stack, int32_t pc, const unsigned char *s, size_t pos,
		     size_t len)
{
	int32_t top = 0;
	stack[top++] = pc;
	while (top > 0) {
		pc = stack[--top];
		if (mark[pc] == gen)
			continue;
		mark[pc] = gen;
		switch (prog[pc][0]) {
		case RT_RX_SPLIT:
			stack[top++] = prog[pc][2];
			stack[top++] = prog[pc][1];
			break;
		case RT_RX_JMP:
			stack[top++] = prog[pc][1];
			break;
		case RT_RX_ASSERT: {
			int before = pos > 0 && rt_rx_word(s[pos - 1]);
			int after = pos < len && rt_rx_word(s[pos]);
			int ok = prog[pc][1] == 1   ? pos == 0
				 : prog[pc][1] == 2 ? pos == len
				 : prog[pc][1] == 3 ? before != after
						    : before == after;
			if (ok)
				stack[top++] = prog[pc][2];
			break;
		}
		default:
			list[(*cnt)++] = pc;
			break;
		}
	}
}

/* 1 if the whole of str matches the n-instruction program; work holds 5n + 1 ints. */
RT_FN int rt_rx_match(const int32_t (*prog)[4], int32_t n, const uint8_t (*cls)[32], const char *str,
		      int32_t *work)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), pos;
	int32_t *cl = work, *nl = work + n, *mark = work + 2 * n, *stack = work + 3 * n;
	int32_t cc = 0, gen = 0, k;
	for (k = 0; k < n; k++)
		mark[k] = -1;
	rt_rx_add(prog, cl, &cc, mark, gen, stack, 0, s, 0, len);
	for (pos = 0; pos < len && cc > 0; pos++) {
		unsigned c = s[pos];
		int32_t nc = 0, *t;
		gen++;
		for (k = 0; k < cc; k++) {
			const int32_t *in = prog[cl[k]];
			if (in[0] == RT_RX_CLASS && ((cls[in[3]][c >> 3] >> (c & 7)) & 1))
				rt_rx_add(prog, nl, &nc, mark, gen, stack, in[1], s, pos + 1, len);
		}
		t = cl;
		cl = nl;
		nl = t;
		cc = nc;
	}
	if (pos < len)
		return 0;
	for (k = 0; k < cc; k++)
		if (prog[cl[k]][0] == RT_RX_MATCH)
			return 1;
	return 0;
}

#endif
