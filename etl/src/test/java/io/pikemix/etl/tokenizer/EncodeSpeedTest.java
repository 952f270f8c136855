package io.pikemix.etl.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prints single-threaded encode rates on the embedded corpus (or the fixture); a sanity print, not a timed assertion. */
class EncodeSpeedTest {
    @Test void printEncodeRates() {
        List<String> docs = CorpusRoundTripTest.corpusOrFixture();
        var counts = new HashMap<String, Long>();
        for (String doc : docs) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        long t0 = System.nanoTime();
        BpeTokenizer bpe = BpeTrainer.train(counts, 8192);
        System.out.printf("speed: trained %s on %,d documents, %.2f MB, in %.2f s%n", bpe.name(), docs.size(), Fixture.utf8Bytes(docs) / 1e6, (System.nanoTime() - t0) / 1e9);
        for (Tokenizer tok : List.of(bpe, Tokenizers.load("cl100k_base", null), Tokenizers.load("o200k_base", null))) {
            double mbPerSecond = rate(tok, docs);
            System.out.printf("speed: %-12s encode %.1f MB/s single-threaded (%.2f MB, warm)%n",
                    tok.name(), mbPerSecond, Fixture.utf8Bytes(docs) / 1e6);
            assertTrue(mbPerSecond > 0);
        }
    }

    /** MB/s of encode over {@code docs}: the best of 5 passes after 1.5 s of warm-up (JIT, caches). */
    static double rate(Tokenizer tok, List<String> docs) {
        long bytes = Fixture.utf8Bytes(docs);
        double best = 0;
        long sink = 0;
        long warmUntil = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < warmUntil) {
            for (String doc : docs) sink += tok.encode(doc).length;
        }
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            for (String doc : docs) sink += tok.encode(doc).length;
            best = Math.max(best, bytes / 1e6 / ((System.nanoTime() - t0) / 1e9));
        }
        if (sink == 42) System.out.print("");    // keep the results alive
        return best;
    }
}
