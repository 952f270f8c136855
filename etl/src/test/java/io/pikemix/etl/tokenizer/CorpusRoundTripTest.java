package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** decode(encode(doc)) = doc for every document of the embedded corpus (../corpus), when it is there. */
class CorpusRoundTripTest {
    /** Every document of the embedded corpus: each JSON line's "text", each text file whole. */
    static List<String> corpusDocuments() {
        var docs = new ArrayList<String>();
        try {
            for (Path file : Fixture.corpusFiles()) {
                try (InputStream raw = Files.newInputStream(file);
                        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                    if (file.toString().contains(".json")) docs.addAll(Fixture.jsonlTexts(in));
                    else docs.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    static List<String> corpusOrFixture() {
        List<String> docs = corpusDocuments();
        return docs.isEmpty() ? Fixture.documents() : docs;
    }

    @Test
    void everyCorpusDocumentRoundTrips() {
        List<String> docs = corpusDocuments();
        assumeTrue(
                !docs.isEmpty(), "no embedded corpus under ../corpus (relative to the etl module); nothing to check");
        var counts = new HashMap<String, Long>();
        for (String doc : docs) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        List<Tokenizer> tokenizers = List.of(BpeTrainer.train(counts, 8192), Tokenizers.load("cl100k_base", null));
        for (Tokenizer tok : tokenizers) {
            for (String doc : docs)
                assertEquals(
                        doc,
                        tok.decode(tok.encode(doc)),
                        () -> tok.name() + " on: " + doc.substring(0, Math.min(80, doc.length())));
        }
    }
}
