/* The record format of /dev/kmsg (Documentation/ABI/testing/dev-kmsg), for kmsg.c and its
 * fuzzer. One read() returns one record:
 *
 *   "prio,seq,usec,flags[,more fields];message\n" then optional " KEY=value\n" lines
 *
 * prio is facility << 3 | level, seq the record's sequence number (64-bit, never reused in a
 * boot), usec the time since boot in microseconds, flags "-" ("c" and "+" were continuation
 * marks on old kernels), the optional fields things like "caller=T123". The kernel escapes
 * bytes below 0x20, from 0x7f up, and "\" in the message as "\xNN", so the message is one
 * ASCII line; the parser does not rely on that. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct KmsgRecord {
        unsigned prio; /* facility << 3 | level; < 1024 */
        uint64_t seq;
        uint64_t usec;   /* since boot */
        char flag;       /* the first flags byte; '-' if the field is empty */
        const char *msg; /* into the buffer parsed, up to the first "\n" (not included) */
        size_t msg_len;
} KmsgRecord;

/* Parses the record in buf[0..n) (need not be NUL-terminated; continuation lines after the
 * first "\n" are ignored). 0 and *ret filled, or -EBADMSG. */
int kmsg_parse_record(const char *buf, size_t n, KmsgRecord *ret);
