package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Independent check against HuggingFace's own Rust implementation (through DJL's binding, whose jar
 * bundles the linux-x86_64 native library): the tokenizer.json written here must give the same ids there.
 * Skipped, with the reason, where the native library cannot load.
 */
class DjlParityTest {
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    @Test
    void savedTokenizerJson_givesSameIdsAsHuggingFace(@TempDir Path dir) throws Exception {
        var counts = new HashMap<String, Long>();
        for (String doc : Fixture.documents()) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        BpeTokenizer bpe = BpeTrainer.train(counts, 2048);
        Path file = dir.resolve("tokenizer.json");
        HfTokenizerJson.write(bpe, file);

        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            assumeTrue(false, "DJL's HuggingFace tokenizers native library did not load here: " + e);
            return;
        }
        try (hf) {
            var texts = new ArrayList<>(Fixture.documents());
            texts.addAll(Fixture.edgeCases());
            for (String text : texts) {
                long[] theirs = hf.encode(text, false, false).getIds();
                assertArrayEquals(bpe.encode(text), toInts(theirs), () -> "text: " + text);
            }
            assertEquals(BpeTokenizer.EOS, hf.decode(new long[] {bpe.eosId()}, false));
        }
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }
}
