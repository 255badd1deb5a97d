/* embed.c - build-time tool: writes a C file defining `const char NAME[]` with the
 * bytes of a text file, so the runtime can live in runtime/ as a normal header
 * and still be copied into every generated model.c.
 *
 * usage: embed NAME INPUT OUTPUT
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: embed NAME INPUT OUTPUT\n");
		return 2;
	}
	FILE *in = fopen(argv[2], "rb");
	FILE *out = fopen(argv[3], "wb");
	if (!in || !out) {
		fprintf(stderr, "embed: cannot open files\n");
		return 1;
	}
	fprintf(out, "/* generated from %s by tools/embed.c */\nconst char %s[] =\n\"", argv[2], argv[1]);
	int c;
	while ((c = fgetc(in)) != EOF) {
		if (c == '\n')
			fputs("\\n\"\n\"", out);
		else if (c == '\\' || c == '"')
			fprintf(out, "\\%c", c);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '?')
			fputs("\\?", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
	fputs("\";\n", out);
	fclose(in);
	return fclose(out) == 0 ? 0 : 1;
}
