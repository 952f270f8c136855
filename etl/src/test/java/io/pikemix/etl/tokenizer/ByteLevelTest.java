package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteLevelTest {
    /** The reference: the GPT-2 split regex run by java.util.regex. */
    static List<String> regexSplit(String text) {
        var out = new ArrayList<String>();
        var m = ByteLevel.PATTERN.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    static List<String> scannerSplit(String text) {
        var out = new ArrayList<String>();
        ByteLevel.forEachPiece(text, out::add);
        return out;
    }

    /** The byte scanner's pieces, decoded back to strings. */
    static List<String> utf8Split(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var out = new ArrayList<String>();
        ByteLevel.splitUtf8(
                b, 0, b.length, (s, e) -> out.add(new String(b, s, e - s, java.nio.charset.StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void splitUtf8_givesTheSamePiecesAsTheRegex() {
        for (String doc : Fixture.documents()) assertEquals(regexSplit(doc), utf8Split(doc));
        for (String doc : Fixture.edgeCases()) assertEquals(regexSplit(doc), utf8Split(doc), doc);
        String[] alphabet = {
            " ", " ", "\n", "\r", "\t", "'", "s", "t", "r", "e", "v", "l", "d", "m", "a", "Z", "1", "²", "½", "!", ".",
            "\u00A0", "\u3000", "\u2009", "😀", "𝟘", "𠀀", "ä", "क", "ि", "्", "\u0085", "\u0000", "-", "é"
        };
        var random = new SplittableRandom(43);
        for (int trial = 0; trial < 20_000; trial++) {
            var sb = new StringBuilder();
            int len = random.nextInt(1, 16);
            for (int i = 0; i < len; i++) sb.append(alphabet[random.nextInt(alphabet.length)]);
            String text = sb.toString();
            assertEquals(
                    regexSplit(text),
                    utf8Split(text),
                    () -> "text: "
                            + text.codePoints().mapToObj(Integer::toHexString).toList());
        }
    }

    @Test
    void split_matchesRegexOnFixtureAndEdgeCases() {
        for (String doc : Fixture.documents()) assertEquals(regexSplit(doc), scannerSplit(doc));
        for (String doc : Fixture.edgeCases()) assertEquals(regexSplit(doc), scannerSplit(doc), doc);
    }

    @Test
    void split_matchesRegexOnRandomStringsOfTrickyCharacters() {
        String[] alphabet = {
            " ", " ", "\n", "\r", "\t", "'", "s", "t", "r", "e", "v", "l", "d", "m", "a", "Z", "1", "²", "½", "!", ".",
            "\u00A0", "\u3000", "\u2009", "😀", "𝟘", "𠀀", "ä", "क", "ि", "्", "\u0085", "\u0000", "-", "é"
        };
        var random = new SplittableRandom(42);
        for (int trial = 0; trial < 20_000; trial++) {
            var sb = new StringBuilder();
            int len = random.nextInt(1, 16);
            for (int i = 0; i < len; i++) sb.append(alphabet[random.nextInt(alphabet.length)]);
            String text = sb.toString();
            assertEquals(
                    regexSplit(text),
                    scannerSplit(text),
                    () -> "text: "
                            + text.codePoints().mapToObj(Integer::toHexString).toList());
        }
    }

    @Test
    void split_piecesConcatenateToTheText() {
        for (String doc : Fixture.edgeCases()) assertEquals(doc, String.join("", scannerSplit(doc)));
    }

    @Test
    void split_handWorkedExample() {
        assertEquals(
                List.of("Hello", ",", " world", "!", "  ", " It", "'s", "\n", "\n", "42", " €"),
                scannerSplit("Hello, world!   It's\n\n42 €"));
    }

    @Test
    void bytesToUnicode_isGpt2Alphabet() {
        assertEquals(
                256,
                new HashSet<>(List.of(new String(ByteLevel.BYTE_TO_CHAR)
                                .chars()
                                .boxed()
                                .toArray()))
                        .size());
        assertEquals('Ġ', ByteLevel.BYTE_TO_CHAR[' ']); // U+0120, as in GPT-2's "Ġthe"
        assertEquals('Ċ', ByteLevel.BYTE_TO_CHAR['\n']); // U+010A
        assertEquals('A', ByteLevel.BYTE_TO_CHAR['A']);
        assertEquals('ġ', ByteLevel.BYTE_TO_CHAR[0x7F]); // DEL, the 34th non-printable byte → U+0100 + 33
        assertEquals('Ń', ByteLevel.BYTE_TO_CHAR[0xAD]); // soft hyphen, the last one → U+0100 + 67
        for (int b = 0; b < 256; b++) assertEquals(b, ByteLevel.CHAR_TO_BYTE[ByteLevel.BYTE_TO_CHAR[b]]);
    }
}
