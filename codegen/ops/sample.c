/* sample.c - helpers shared by the resampling ops (Resize, GridSample, RoiAlign, ...). */
#include <stdio.h>

#include "sample.h"

const char *nn_store_sat(DType dt, const char *v, char *buf, size_t n)
{
	const char *lo, *hi;
	switch (dt) {
	case DT_INT8: lo = "-128.0", hi = "127.0"; break;
	case DT_UINT8: lo = "0.0", hi = "255.0"; break;
	case DT_INT16: lo = "-32768.0", hi = "32767.0"; break;
	case DT_UINT16: lo = "0.0", hi = "65535.0"; break;
	case DT_INT32: lo = "-2147483648.0", hi = "2147483647.0"; break;
	case DT_UINT32: lo = "0.0", hi = "4294967295.0"; break;
	case DT_INT64:
		/* 2^63 is not an int64_t: compare, then pick the limit */
		snprintf(buf, n, "(%s != %s ? 0 : %s <= -9223372036854775808.0 ? INT64_MIN : "
			 "%s >= 9223372036854775808.0 ? INT64_MAX : (int64_t)%s)", v, v, v, v, v);
		return buf;
	case DT_UINT64:
		snprintf(buf, n, "(!(%s > 0) ? 0 : %s >= 18446744073709551616.0 ? UINT64_MAX : "
			 "(uint64_t)%s)", v, v, v);
		return buf;
	default: return cg_store(dt, v, buf, n);
	}
	snprintf(buf, n, "(%s)(%s != %s ? 0.0 : %s <= %s ? %s : %s >= %s ? %s : (double)%s)",
		 cg_ctype(dt), v, v, v, lo, lo, v, hi, hi, v);
	return buf;
}
