package io.pikemix.etl.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** Test texts: the real multilingual fixture (see make_fixture.py beside it) and hand-written edge cases. */
final class Fixture {
    private Fixture() {}

    private static List<String> documents;

    /** English, German and Hindi documents from tokenizer/multilingual.jsonl.gz. */
    static synchronized List<String> documents() {
        if (documents == null) {
            try (InputStream in = Fixture.class.getResourceAsStream("/tokenizer/multilingual.jsonl.gz")) {
                if (in == null)
                    throw new IllegalStateException("test resource /tokenizer/multilingual.jsonl.gz is missing");
                documents = List.copyOf(jsonlTexts(new GZIPInputStream(in)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return documents;
    }

    /** Edge cases: emoji (surrogate pairs), CRLF, tabs, runs of spaces, Unicode spaces, contractions, digits. */
    static List<String> edgeCases() {
        return List.of(
                "",
                " ",
                "  ",
                "\n",
                "\r\n",
                "a",
                "A b",
                "\t",
                " \t \n",
                "Hello, world! It's a test; they're here, we've won, I'm sure, you'll see, he'd know.",
                "line one\r\nline two\r\n\r\nline four\r\n",
                "tab\tseparated\t\tvalues\t\n  indented   with    spaces     ",
                "trailing spaces   ",
                "   leading spaces",
                "many          spaces          inside",
                "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇩🇪🇮🇳 in text 🎉!",
                "no\u00A0break\u00A0space, ideographic\u3000space, thin\u2009space, en\u2002space",
                "Größe: 3½ m², Straße, Äpfel über Öl — „Anführungszeichen“ und ‚halbe‘",
                "हिन्दी भारत की राजभाषा है। संख्या १२३ और 456",
                "mixed: abc123def 12,345.67 $9.99 100% (x+y)=z «guillemets» 'quoted' \"double\"",
                "'s 't 're 've 'm 'll 'd ''s '' 'S 'RE",
                "a\u0301 e\u0308 combining marks; zero\u200Bwidth; soft\u00ADhyphen",
                "日本語のテキストと中文文本 한국어",
                "\u0000\u0001 control \u007F chars \u0085 next-line \u2028 line-sep",
                "=".repeat(300) + " " + " ".repeat(200) + "x" + "\n".repeat(100));
    }

    /** The "text" field of every JSON line. */
    static List<String> jsonlTexts(InputStream in) throws IOException {
        var mapper = new ObjectMapper();
        var texts = new ArrayList<String>();
        var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
            if (!line.isBlank()) texts.add(mapper.readTree(line).path("text").asText());
        }
        return texts;
    }

    /** The embedded corpus's JSON-lines and text files (../corpus from the etl module), or none if it is not there. */
    static List<Path> corpusFiles() throws IOException {
        Path corpus = Path.of("..", "corpus");
        if (!Files.isDirectory(corpus)) return List.of();
        try (Stream<Path> files = Files.walk(corpus)) {
            return files.filter(p -> p.toString().matches(".*\\.(jsonl?|txt)(\\.gz)?$"))
                    .sorted()
                    .toList();
        }
    }

    /** Total UTF-8 size of {@code texts}. */
    static long utf8Bytes(List<String> texts) {
        return texts.stream()
                .mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length)
                .sum();
    }
}
