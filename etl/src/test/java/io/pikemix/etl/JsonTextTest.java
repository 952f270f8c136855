package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.*;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonText}, the jsonl fast path, against Jackson, the parser it stands in for: on every line it either
 * answers {@link JsonText#UNUSUAL} (and the reader asks Jackson) or gives exactly the UTF-8 bytes of the string
 * Jackson reads from a valid line — never a value where Jackson fails or reads another. Lines: Jackson's own output
 * for random texts (all accepted), hand-made escapes, and those lines with random bytes changed, inserted or deleted.
 */
class JsonTextTest {
    private static final JsonFactory JSON = new JsonFactory();

    /** The reader's reference: what DocumentReader gives without the fast path ("invalid_utf8", "malformed_json" or the bytes). */
    static Object jackson(byte[] raw, String field) {
        if (!Utf8.isValid(raw, 0, raw.length)) return "invalid_utf8";
        try (JsonParser p = JSON.createParser(raw, 0, raw.length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return "malformed_json";
            String text = null;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) return "malformed_json";
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals(field)) {
                    if (v != JsonToken.VALUE_STRING) return "malformed_json";
                    text = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null || text == null) return "malformed_json";
            return text.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "malformed_json";
        }
    }

    /** The fast path's answer: the bytes, or null for UNUSUAL. */
    static byte[] fast(byte[] raw, String field) {
        var j = new JsonText(field);
        int n = j.decode(raw, raw.length);
        return n == JsonText.UNUSUAL ? null : Arrays.copyOf(j.buffer(), n);
    }

    static void assertAgrees(byte[] raw, String field) {
        byte[] fast = fast(raw, field);
        if (fast == null) return; // Jackson decides
        Object ref = jackson(raw, field);
        assertTrue(
                ref instanceof byte[],
                () -> "fast path read " + Arrays.toString(fast) + " where Jackson says " + ref + ": "
                        + new String(raw, StandardCharsets.ISO_8859_1));
        assertArrayEquals((byte[]) ref, fast, () -> new String(raw, StandardCharsets.ISO_8859_1));
    }

    static byte[] line(String text) throws IOException {
        var out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("text", text);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** Texts of any code points (no lone surrogates: a String with one has no UTF-8 form), control characters included. */
    @Provide
    Arbitrary<String> texts() {
        Arbitrary<Integer> cp = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(2, Arbitraries.of((int) '"', (int) '\\', (int) '/', 0, 8, 9, 10, 12, 13, 0x1F, 0x7F)),
                Tuple.of(2, Arbitraries.integers().between(0x80, 0xD7FF)),
                Tuple.of(1, Arbitraries.integers().between(0xE000, 0xFFFF)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)));
        return cp.list().ofMaxSize(40).map(l -> {
            var sb = new StringBuilder();
            l.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Property(tries = 2000)
    void jacksonsOwnLines_areAllReadAsJacksonReadsThem(@ForAll("texts") String text) throws IOException {
        byte[] raw = line(text);
        byte[] fast = fast(raw, "text");
        assertNotNull(fast, () -> "the common line went to Jackson: " + new String(raw, StandardCharsets.UTF_8));
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), fast);
        assertArrayEquals((byte[]) jackson(raw, "text"), fast);
    }

    /** Lines near the form: the common line's pieces, escapes, whitespace and stray bytes, in random order. */
    @Provide
    Arbitrary<byte[]> nearLines() {
        List<String> pieces = List.of(
                "{",
                "}",
                "\"",
                "\"text\"",
                "\"text\":",
                ":",
                ",",
                " ",
                "\t",
                "\r",
                "\n",
                "a",
                "é",
                "\\",
                "\\\"",
                "\\\\",
                "\\/",
                "\\n",
                "\\t",
                "\\b",
                "\\f",
                "\\r",
                "\\x",
                "\\u0041",
                "\\u00e9",
                "\\u20AC",
                "\\uD83D",
                "\\uDE00",
                "\\uD83D\\uDE00",
                "\\uDBFF\\uDFFF",
                "\\ud800",
                "\\u12",
                "\\u0000",
                "\\u001f",
                "\"other\":1",
                "null",
                "[]",
                "{}",
                "\uFEFF",
                "\u0001",
                "\u001f",
                "\u0000",
                "€",
                "𝄞",
                "texts",
                "\"tex\"");
        Arbitrary<byte[]> structured = Arbitraries.of(pieces)
                .list()
                .ofMaxSize(14)
                .map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> common = texts().map(t -> {
            try {
                return line(t);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        Arbitrary<byte[]> mutated = Combinators.combine(
                        common,
                        Arbitraries.integers().between(0, 1000),
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.of(
                                (byte) '"',
                                (byte) '\\',
                                (byte) 'u',
                                (byte) 'D',
                                (byte) '8',
                                (byte) '{',
                                (byte) '}',
                                (byte) ',',
                                (byte) ' ',
                                (byte) 0,
                                (byte) 0x1F,
                                (byte) 0xC3,
                                (byte) 0xA9,
                                (byte) 0xED,
                                (byte) 0xA0,
                                (byte) 0x80,
                                (byte) 0xFF,
                                (byte) 0xF4,
                                (byte) 0x90,
                                (byte) 'n'))
                .as((line, pos, op, b) -> {
                    int p = pos % (line.length + 1);
                    byte[] out;
                    if (op == 0 && p < line.length) {
                        out = line.clone();
                        out[p] = b;
                    } else if (op == 1 && p < line.length) {
                        out = new byte[line.length - 1];
                        System.arraycopy(line, 0, out, 0, p);
                        System.arraycopy(line, p + 1, out, p, line.length - p - 1);
                    } else {
                        out = new byte[line.length + 1];
                        System.arraycopy(line, 0, out, 0, p);
                        out[p] = b;
                        System.arraycopy(line, p, out, p + 1, line.length - p);
                    }
                    return out;
                });
        Arbitrary<byte[]> wrapped = Combinators.combine(
                        Arbitraries.of("", " ", "\t", "\r"),
                        Arbitraries.of(pieces).list().ofMaxSize(6),
                        Arbitraries.of("", " ", " \r", ",", "}", "x"))
                .as((pre, body, post) ->
                        (pre + "{\"text\":\"" + String.join("", body) + "\"}" + post).getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(structured, mutated, mutated, wrapped, wrapped);
    }

    @Property(tries = 5000)
    void anyLine_fastPathAgreesWithJacksonOrStepsAside(@ForAll("nearLines") byte[] raw) {
        assertAgrees(raw, "text");
        Statistics.label("path").collect(fast(raw, "text") == null ? "jackson" : "fast");
        Statistics.label("jackson").collect(jackson(raw, "text") instanceof byte[] ? "value" : "error");
        // both paths and both of Jackson's answers are exercised, not only the easy ones. The generator gives the
        // fast path about 10 % of the lines (standard error 0.4 points over 5,000 tries), so the bound is 5 %: a
        // bound at the expected share failed one run in a few (9.9 %, a fresh clone's CI, 2026-11-27 23:35)
        Statistics.label("path").coverage(c -> {
            c.check("fast").percentage(p -> p > 5);
            c.check("jackson").percentage(p -> p > 5);
        });
        Statistics.label("jackson").coverage(c -> c.check("error").percentage(p -> p > 5));
    }

    @Test
    void escapesAndSurrogatePairs_decodeToUtf8() {
        byte[] raw = "{ \"text\" : \"a\\n\\t\\\"\\\\\\/\\b\\f\\r\\u00e9\\u20AC\\uD834\\uDD1E é𝄞\" }\r"
                .getBytes(StandardCharsets.UTF_8);
        assertArrayEquals("a\n\t\"\\/\b\f\ré€𝄞 é𝄞".getBytes(StandardCharsets.UTF_8), fast(raw, "text"));
        assertAgrees(raw, "text");
    }

    @Test
    void unusualLines_goToJackson() {
        for (String s : List.of(
                "{\"text\":\"\\ud800\"}", // lone high surrogate: Jackson's String has no UTF-8 form
                "{\"text\":\"\\udc00x\"}", // lone low surrogate
                "{\"text\":\"a\u0001\"}", // control character: Jackson refuses it
                "{\"text\":\"a\",\"id\":1}", // another field
                "{\"id\":1,\"text\":\"a\"}",
                "{\"te\\u0078t\":\"a\"}", // escaped field name
                "\uFEFF{\"text\":\"a\"}", // byte-order mark
                "{\"text\":\"a\"} x", // trailing garbage
                "{\"text\":\"a\\x\"}", // unknown escape
                "{\"text\":\"a\"",
                "{\"text\":1}")) assertNull(fast(s.getBytes(StandardCharsets.UTF_8), "text"), s);
        assertNull(fast(
                new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'}, "text"));
        assertNull(fast("{\"a\\\"b\":\"x\"}".getBytes(StandardCharsets.UTF_8), "a\"b"), "a field name JSON escapes");
    }

    @Test
    void otherFieldName_isMatchedByItsBytes() throws IOException {
        assertArrayEquals(
                "x".getBytes(StandardCharsets.UTF_8),
                fast("{\"contenu\":\"x\"}".getBytes(StandardCharsets.UTF_8), "contenu"));
        assertArrayEquals(
                "x".getBytes(StandardCharsets.UTF_8), fast("{\"é\":\"x\"}".getBytes(StandardCharsets.UTF_8), "é"));
        assertNull(fast("{\"text\":\"x\"}".getBytes(StandardCharsets.UTF_8), "contenu"));
    }
}
