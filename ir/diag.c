/* diag.c - the one channel for user-facing errors.
 *
 * Only the first error is kept: later ones are usually consequences of it. The
 * message is forced onto one line (control characters become spaces) because
 * names inside it come from the model.
 */
#include <stdio.h>
#include <string.h>

#include "ir.h"

void diag_init(Diag *d, const char *file)
{
	memset(d, 0, sizeof *d);
	d->file = file ? file : "<input>";
}

int diag_verror(Diag *d, const char *fmt, va_list ap)
{
	if (d->nerrors++ == 0) {
		int n = snprintf(d->msg, sizeof d->msg, "%s: ", d->file);
		if (n < 0 || (size_t)n >= sizeof d->msg)
			n = 0;
		vsnprintf(d->msg + n, sizeof d->msg - (size_t)n, fmt, ap);
		for (char *p = d->msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	return -1;
}

int diag_error(Diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_verror(d, fmt, ap);
	va_end(ap);
	return -1;
}
