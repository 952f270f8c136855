package io.pikemix.etl;

import com.fasterxml.jackson.core.StreamReadConstraints;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The common jsonl line, {@code {"text": "..."}}, decoded without a JSON parser: one pass over the line's bytes
 * checks its UTF-8, finds the structure and writes the string value, unescaped, as UTF-8 into a reused buffer — no
 * {@code String}, no re-encoding. It accepts only a single top-level object whose one field is {@code field} with a
 * string value, optional JSON whitespace (space, tab, CR, LF) around the tokens, and the escapes {@code \" \\ \/ \b
 * \f \n \r \t} and "backslash u XXXX" (surrogate pairs included). For anything else — other or more fields, a lone
 * surrogate escape, a control character, bytes that are not UTF-8, a byte-order mark, a value longer than Jackson's
 * string limit — it answers {@link #UNUSUAL} and the caller parses the line with Jackson, which decides; so the
 * fast path gives exactly the bytes {@code jackson.getText().getBytes(UTF_8)} gives, and never an error of its own.
 * Eight bytes at a time while they are plain ASCII (no quote, backslash or control character).
 */
final class JsonText {
    /** The line is not of the simple form: parse it with Jackson. */
    static final int UNUSUAL = -1;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L, HIGHS = 0x8080808080808080L;
    private static final int MAX_STRING = StreamReadConstraints.defaults().getMaxStringLength();

    private final byte[] field;
    private byte[] out = new byte[1 << 12];

    /** @param field the name of the text field, e.g. {@code text} */
    JsonText(String field) {
        byte[] f = field.getBytes(StandardCharsets.UTF_8);
        for (byte c : f) if (c == '"' || c == '\\' || (c >= 0 && c < 0x20)) f = null; // escaped in JSON: Jackson only
        this.field = f;
    }

    /** The buffer {@link #decode} wrote the value to (valid until the next call). */
    byte[] buffer() {
        return out;
    }

    /**
     * Decodes line {@code b[0, n)}: the value's UTF-8 length, its bytes in {@link #buffer()}[0, length), or
     * {@link #UNUSUAL}.
     */
    int decode(byte[] b, int n) {
        if (field == null) return UNUSUAL;
        if (out.length < n + 8) out = new byte[Math.max(n + 8, out.length * 2)];
        int i = ws(b, 0, n);
        if (i >= n || b[i] != '{') return UNUSUAL;
        i = ws(b, i + 1, n);
        // the field name, compared byte for byte (no escapes)
        if (i >= n || b[i] != '"') return UNUSUAL;
        i++;
        int f = field.length;
        if (i + f >= n || b[i + f] != '"') return UNUSUAL;
        for (int k = 0; k < f; k++) if (b[i + k] != field[k]) return UNUSUAL;
        i = ws(b, i + f + 1, n);
        if (i >= n || b[i] != ':') return UNUSUAL;
        i = ws(b, i + 1, n);
        if (i >= n || b[i] != '"') return UNUSUAL;
        int start = ++i;
        int o = 0;
        byte[] dst = out;
        while (true) {
            // plain ASCII, eight bytes at a time: each word is stored whole, the position moves past its plain bytes
            while (i + 8 <= n) {
                long w = (long) LONG.get(b, i);
                long special = special(w);
                LONG.set(dst, o, w);
                if (special == 0) {
                    i += 8;
                    o += 8;
                } else {
                    int k = Long.numberOfTrailingZeros(special) >>> 3;
                    i += k;
                    o += k;
                    break;
                }
            }
            if (i >= n) return UNUSUAL; // no closing quote
            int c = b[i];
            if (c == '"') break;
            if (c == '\\') {
                if (i + 1 >= n) return UNUSUAL;
                int e = b[i + 1];
                i += 2;
                switch (e) {
                    case '"', '\\', '/' -> dst[o++] = (byte) e;
                    case 'b' -> dst[o++] = '\b';
                    case 'f' -> dst[o++] = '\f';
                    case 'n' -> dst[o++] = '\n';
                    case 'r' -> dst[o++] = '\r';
                    case 't' -> dst[o++] = '\t';
                    case 'u' -> {
                        int cp = hex4(b, i, n);
                        if (cp < 0) return UNUSUAL;
                        i += 4;
                        if (cp >= 0xD800 && cp <= 0xDFFF) {
                            // a high surrogate followed by an escaped low one; anything else: Jackson decides
                            if (cp > 0xDBFF || i + 6 > n || b[i] != '\\' || b[i + 1] != 'u') return UNUSUAL;
                            int lo = hex4(b, i + 2, n);
                            if (lo < 0xDC00 || lo > 0xDFFF) return UNUSUAL;
                            i += 6;
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        o = utf8(cp, dst, o);
                    }
                    default -> {
                        return UNUSUAL;
                    }
                }
            } else if (c >= 0 && c < 0x20) {
                return UNUSUAL; // a control character Jackson refuses
            } else if (c >= 0) {
                dst[o++] = (byte) c; // plain ASCII near the end of the line
                i++;
            } else {
                int len = sequence(b, i, n);
                if (len == 0) return UNUSUAL;
                for (int k = 0; k < len; k++) dst[o++] = b[i + k];
                i += len;
            }
        }
        if (i - start > MAX_STRING) return UNUSUAL; // Jackson may refuse the value: let it say so
        i = ws(b, i + 1, n);
        if (i >= n || b[i] != '}') return UNUSUAL;
        return ws(b, i + 1, n) == n ? o : UNUSUAL;
    }

    /** Bytes of {@code w} that are a quote, a backslash, a control character or non-ASCII: their high bits. */
    private static long special(long w) {
        long quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
        return ((quote - ONES) & ~quote | (backslash - ONES) & ~backslash | (w - ONES * 0x20) & ~w | w) & HIGHS;
    }

    /** The first index at or after {@code i} that is not JSON whitespace. */
    private static int ws(byte[] b, int i, int n) {
        while (i < n) {
            byte c = b[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
            i++;
        }
        return i;
    }

    /** Four hex digits at {@code i}, or -1. */
    private static int hex4(byte[] b, int i, int n) {
        if (i + 4 > n) return -1;
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int c = b[i + k], d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else return -1;
            v = v << 4 | d;
        }
        return v;
    }

    private static int utf8(int cp, byte[] dst, int o) {
        if (cp < 0x80) {
            dst[o++] = (byte) cp;
        } else if (cp < 0x800) {
            dst[o++] = (byte) (0xC0 | cp >> 6);
            dst[o++] = (byte) (0x80 | cp & 0x3F);
        } else if (cp < 0x10000) {
            dst[o++] = (byte) (0xE0 | cp >> 12);
            dst[o++] = (byte) (0x80 | cp >> 6 & 0x3F);
            dst[o++] = (byte) (0x80 | cp & 0x3F);
        } else {
            dst[o++] = (byte) (0xF0 | cp >> 18);
            dst[o++] = (byte) (0x80 | cp >> 12 & 0x3F);
            dst[o++] = (byte) (0x80 | cp >> 6 & 0x3F);
            dst[o++] = (byte) (0x80 | cp & 0x3F);
        }
        return o;
    }

    /** The length of the well-formed multi-byte UTF-8 sequence at {@code i} ({@link Utf8#isValid}'s rules), or 0. */
    private static int sequence(byte[] b, int i, int n) {
        int x = b[i] & 0xFF;
        if (x < 0xC2) return 0;
        if (x < 0xE0) return i + 1 < n && (b[i + 1] & 0xC0) == 0x80 ? 2 : 0;
        if (x < 0xF0) {
            if (i + 2 >= n) return 0;
            int y = b[i + 1] & 0xFF;
            if ((y & 0xC0) != 0x80 || (x == 0xE0 && y < 0xA0) || (x == 0xED && y >= 0xA0) || (b[i + 2] & 0xC0) != 0x80)
                return 0;
            return 3;
        }
        if (x < 0xF5) {
            if (i + 3 >= n) return 0;
            int y = b[i + 1] & 0xFF;
            if ((y & 0xC0) != 0x80
                    || (x == 0xF0 && y < 0x90)
                    || (x == 0xF4 && y >= 0x90)
                    || (b[i + 2] & 0xC0) != 0x80
                    || (b[i + 3] & 0xC0) != 0x80) return 0;
            return 4;
        }
        return 0;
    }
}
