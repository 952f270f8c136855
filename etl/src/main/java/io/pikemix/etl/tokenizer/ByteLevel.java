package io.pikemix.etl.tokenizer;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * GPT-2 / HuggingFace {@code ByteLevel} pre-tokenization (add_prefix_space=false, use_regex=true) and
 * the byte-to-unicode alphabet of tokenizer.json files.
 *
 * <p>Source: GPT-2 {@code encoder.py} ({@code bytes_to_unicode} and the split pattern) and HuggingFace
 * tokenizers {@code pre_tokenizers/byte_level.rs}. The split pattern is
 *
 * <pre>  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 *
 * where {@code \s} is Unicode White_Space (Oniguruma's {@code \s} in UTF-8 mode). {@link #PATTERN} is
 * that regex, compiled once; {@link #split} is a hand-written scanner with the same matches (checked
 * against the regex by the tests) because java.util.regex is the slowest part of encoding otherwise.
 */
final class ByteLevel {
    private ByteLevel() {}

    /** Unicode White_Space, spelled out so that it means the same in the regex and in {@link #isSpace}. */
    private static final String WS =
            "\\t\\n\\x0B\\f\\r\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

    /** The reference split pattern (tests compare {@link #split} against it). */
    static final Pattern PATTERN = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + WS
            + "\\p{L}\\p{N}]+|[" + WS + "]+(?![^" + WS + "])|[" + WS + "]+");

    /** bytes_to_unicode: the printable character that stands for each byte in tokenizer.json. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse of {@link #BYTE_TO_CHAR}; -1 for characters that stand for no byte. */
    static final int[] CHAR_TO_BYTE = new int[324];

    private static final byte LETTER = 1, NUMBER = 2, SPACE = 3, OTHER = 4;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
        }
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        for (int c = 0; c < 128; c++) ASCII_CLASS[c] = classify(c);
    }

    /** The tokenizer.json spelling of {@code bytes}: one character per byte. */
    static String toSymbols(byte[] bytes) {
        var sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(BYTE_TO_CHAR[b & 0xFF]);
        return sb.toString();
    }

    /** Bytes of a tokenizer.json token string, or null if a character stands for no byte. */
    static byte[] fromSymbols(String symbols) {
        byte[] out = new byte[symbols.length()];
        for (int i = 0; i < out.length; i++) {
            char c = symbols.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }

    /** Receives pre-token boundaries [start, end) in UTF-16 units. */
    interface Sink {
        void accept(int start, int end);
    }

    /** Calls {@code sink} for each pre-token of {@code text}, in order; same matches as {@link #PATTERN}. */
    static void split(String text, Sink sink) {
        final int len = text.length();
        int i = 0;
        while (i < len) {
            int start = i;
            char c = text.charAt(i);
            if (c == '\'') {
                int k = contraction(text, i, len);
                if (k > 0) {
                    sink.accept(i, i + k);
                    i += k;
                    continue;
                }
            }
            byte cls = classAt(text, i, len);
            if (cls == SPACE) {
                int j = i + Character.charCount(text.codePointAt(i));
                while (j < len && classAt(text, j, len) == SPACE) j += Character.charCount(text.codePointAt(j));
                if (j == len) { // \s+(?!\S) at the end of the text
                    sink.accept(i, j);
                    i = j;
                    continue;
                }
                int last = j - Character.charCount(text.codePointBefore(j));
                if (last > i) { // \s+(?!\S) gives back the last space
                    sink.accept(i, last);
                    i = last;
                    continue;
                }
                if (c != ' ') { // a lone non-' ' space before a non-space: \s+
                    sink.accept(i, j);
                    i = j;
                    continue;
                }
                i = j; // ' ' before a non-space: " ?" joins the next run
                cls = classAt(text, i, len);
            }
            i = run(text, i + Character.charCount(text.codePointAt(i)), len, cls);
            sink.accept(start, i);
        }
    }

    /**
     * {@link #split} over the UTF-8 bytes {@code b[off, end)} of a text (valid UTF-8): the same pre-tokens, as byte
     * ranges. The tokenizer's hot path: no String, no UTF-16, one table look-up per ASCII byte.
     */
    static void splitUtf8(byte[] b, int off, int end, Sink sink) {
        int i = off;
        while (i < end) {
            int start = i;
            byte c = b[i];
            if (c == '\'') {
                int k = contraction(b, i, end);
                if (k > 0) {
                    sink.accept(i, i + k);
                    i += k;
                    continue;
                }
            }
            byte cls = classAt(b, i);
            if (cls == SPACE) {
                int j = i + utf8Length(c);
                while (j < end && classAt(b, j) == SPACE) j += utf8Length(b[j]);
                if (j == end) { // \s+(?!\S) at the end of the text
                    sink.accept(i, j);
                    i = j;
                    continue;
                }
                int last = j - 1;
                while ((b[last] & 0xC0) == 0x80) last--; // start of the last space
                if (last > i) { // \s+(?!\S) gives back the last space
                    sink.accept(i, last);
                    i = last;
                    continue;
                }
                if (c != ' ') { // a lone non-' ' space before a non-space: \s+
                    sink.accept(i, j);
                    i = j;
                    continue;
                }
                i = j; // ' ' before a non-space: " ?" joins the next run
                cls = classAt(b, i);
            }
            i += utf8Length(b[i]);
            while (i < end && classAt(b, i) == cls) i += utf8Length(b[i]);
            sink.accept(start, i);
        }
    }

    /** Bytes of the UTF-8 sequence that starts with {@code lead}. */
    private static int utf8Length(byte lead) {
        int x = lead & 0xFF;
        return x < 0x80 ? 1 : x < 0xE0 ? 2 : x < 0xF0 ? 3 : 4;
    }

    private static byte classAt(byte[] b, int i) {
        int x = b[i];
        if (x >= 0) return ASCII_CLASS[x];
        int cp;
        if ((x & 0xE0) == 0xC0) cp = ((x & 0x1F) << 6) | (b[i + 1] & 0x3F);
        else if ((x & 0xF0) == 0xE0) cp = ((x & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
        else cp = ((x & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
        return classify(cp);
    }

    private static int contraction(byte[] b, int i, int end) {
        if (i + 1 >= end) return 0;
        byte a = b[i + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (i + 2 >= end) return 0;
        byte c = b[i + 2];
        return (a == 'r' && c == 'e') || (a == 'v' && c == 'e') || (a == 'l' && c == 'l') ? 3 : 0;
    }

    /** The pre-tokens of {@code text} as strings (convenience for training and tests). */
    static void forEachPiece(String text, Consumer<String> out) {
        split(text, (s, e) -> out.accept(text.substring(s, e)));
    }

    /** Length of the contraction at {@code i} ('s 't 're 've 'm 'll 'd), or 0. */
    private static int contraction(String text, int i, int len) {
        if (i + 1 >= len) return 0;
        char a = text.charAt(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (i + 2 >= len) return 0;
        char b = text.charAt(i + 2);
        return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
    }

    /** End of the run of code points of class {@code cls} that continues at {@code i}. */
    private static int run(String text, int i, int len, byte cls) {
        while (i < len && classAt(text, i, len) == cls) i += Character.charCount(text.codePointAt(i));
        return i;
    }

    private static byte classAt(String text, int i, int len) {
        char c = text.charAt(i);
        if (c < 128) return ASCII_CLASS[c];
        return classify(Character.isHighSurrogate(c) && i + 1 < len ? text.codePointAt(i) : c);
    }

    private static byte classify(int cp) {
        if (isSpace(cp)) return SPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER,
                    Character.LOWERCASE_LETTER,
                    Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER,
                    Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    /** Unicode White_Space (the set {@link #WS} spells out). */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D)
                || cp == 0x20
                || cp == 0x85
                || cp == 0xA0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }
}
