package io.pikemix.etl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 checks on bytes, without decoding them: the ETL's one pass over a document's bytes. */
final class Utf8 {
    private Utf8() {}

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Whether {@code b[off, end)} is well-formed UTF-8 (RFC 3629, Unicode Table 3-7): what Java's strict decoder
     * accepts — no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF. ASCII runs are checked
     * eight bytes at a time.
     */
    static boolean isValid(byte[] b, int off, int end) {
        int i = off;
        while (i < end) {
            while (i + 8 <= end && ((long) LONG.get(b, i) & 0x8080808080808080L) == 0) i += 8;
            if (i >= end) break;
            int x = b[i];
            if (x >= 0) {
                i++;
                continue;
            }
            x &= 0xFF;
            if (x < 0xC2) return false; // continuation byte, or overlong C0/C1
            if (x < 0xE0) {
                if (i + 1 >= end || (b[i + 1] & 0xC0) != 0x80) return false;
                i += 2;
            } else if (x < 0xF0) {
                if (i + 2 >= end) return false;
                int y = b[i + 1] & 0xFF;
                if ((y & 0xC0) != 0x80
                        || (x == 0xE0 && y < 0xA0)
                        || (x == 0xED && y >= 0xA0)
                        || (b[i + 2] & 0xC0) != 0x80) return false;
                i += 3;
            } else if (x < 0xF5) {
                if (i + 3 >= end) return false;
                int y = b[i + 1] & 0xFF;
                if ((y & 0xC0) != 0x80
                        || (x == 0xF0 && y < 0x90)
                        || (x == 0xF4 && y >= 0x90)
                        || (b[i + 2] & 0xC0) != 0x80
                        || (b[i + 3] & 0xC0) != 0x80) return false;
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    /** {@link String#isBlank} of the valid UTF-8 {@code b[0, length)}: decoded only when no ASCII non-space comes first. */
    static boolean isBlank(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            int c = b[i];
            if (c < 0) return new String(b, 0, length, StandardCharsets.UTF_8).isBlank();
            if (!(c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F))) return false;
        }
        return true;
    }
}
