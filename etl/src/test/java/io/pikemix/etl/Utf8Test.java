package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Utf8#isValid} accepts exactly what Java's strict UTF-8 decoder (the reader's check before) accepts. */
class Utf8Test {
    static boolean javaAccepts(byte[] b) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void handPickedSequences() {
        assertTrue(Utf8.isValid(bytes('a', 0xC3, 0xA9), 0, 3)); // é
        assertTrue(Utf8.isValid(bytes(0xF0, 0x9F, 0x98, 0x80), 0, 4)); // 😀
        assertTrue(Utf8.isValid(bytes(0xF4, 0x8F, 0xBF, 0xBF), 0, 4)); // U+10FFFF
        assertFalse(Utf8.isValid(bytes(0xC0, 0xAF), 0, 2)); // overlong '/'
        assertFalse(Utf8.isValid(bytes(0xE0, 0x80, 0xAF), 0, 3)); // overlong
        assertFalse(Utf8.isValid(bytes(0xED, 0xA0, 0x80), 0, 3)); // surrogate U+D800
        assertFalse(Utf8.isValid(bytes(0xF4, 0x90, 0x80, 0x80), 0, 4)); // U+110000
        assertFalse(Utf8.isValid(bytes('a', 'b', 0xC3), 0, 3)); // truncated at the end
        assertFalse(Utf8.isValid(bytes(0xC3, 0x28), 0, 2)); // bad continuation
        assertTrue(Utf8.isValid(bytes('a', 'b', 0xC3), 0, 2)); // only the range counts
    }

    @Test
    void agreesWithJavasDecoderOnRandomBytes() {
        int[] pool = {
            'a', ' ', '\n', 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE,
            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF
        };
        var random = new SplittableRandom(5);
        int valid = 0;
        for (int trial = 0; trial < 200_000; trial++) {
            byte[] b = new byte[random.nextInt(1, 20)];
            for (int i = 0; i < b.length; i++)
                b[i] = (byte) (random.nextInt(4) == 0 ? 'x' : pool[random.nextInt(pool.length)]);
            boolean expected = javaAccepts(b);
            if (expected) valid++;
            assertEquals(
                    expected,
                    Utf8.isValid(b, 0, b.length),
                    () -> java.util.HexFormat.of().formatHex(b));
        }
        assertTrue(valid > 1000, "the random inputs include valid ones: " + valid);
    }

    @Test
    void isBlank_likeStringIsBlank() {
        for (String s :
                new String[] {"", " ", " \t\r\n\u000B\f\u001C", "\u00A0", " \u2003 ", " x", "\u3000", "\u2003y", "é"}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(s.isBlank(), Utf8.isBlank(b, b.length), s);
        }
    }
}
