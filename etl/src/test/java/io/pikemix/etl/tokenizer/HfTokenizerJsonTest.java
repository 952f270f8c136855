package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pikemix.format.UserException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerJsonTest {
    static BpeTokenizer bpe;

    @BeforeAll
    static void train() {
        var counts = new HashMap<String, Long>();
        for (String doc : Fixture.documents()) ByteLevel.forEachPiece(doc, p -> counts.merge(p, 1L, Long::sum));
        bpe = BpeTrainer.train(counts, 1024);
    }

    @Test
    void writeThenRead_givesIdenticalIds(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        HfTokenizerJson.write(bpe, file);
        BpeTokenizer loaded = HfTokenizerJson.read(file);
        assertEquals(bpe.vocabSize(), loaded.vocabSize());
        assertEquals(bpe.eosId(), loaded.eosId());
        assertEquals(bpe.name(), loaded.name());
        assertEquals(bpe.contentHash(), loaded.contentHash());
        for (String doc : Fixture.documents()) assertArrayEquals(bpe.encode(doc), loaded.encode(doc));
        for (String doc : Fixture.edgeCases()) assertArrayEquals(bpe.encode(doc), loaded.encode(doc));
        assertArrayEquals(Files.readAllBytes(file), HfTokenizerJson.toBytes(loaded)); // canonical: write(read(f)) = f
    }

    @Test
    void toBytes_hasHuggingFaceByteLevelBpeShape() throws Exception {
        var root = new ObjectMapper().readTree(HfTokenizerJson.toBytes(bpe));
        assertEquals("BPE", root.path("model").path("type").asText());
        assertEquals("ByteLevel", root.path("pre_tokenizer").path("type").asText());
        assertEquals("ByteLevel", root.path("decoder").path("type").asText());
        assertEquals(
                1023, root.path("model").path("vocab").path("<|endoftext|>").asInt());
        assertEquals(32, root.path("model").path("vocab").path("Ġ").asInt()); // byte ' '
        assertEquals(1024 - 257, root.path("model").path("merges").size());
        assertTrue(root.path("added_tokens").get(0).path("special").asBoolean());
        assertEquals(bpe.contentHash(), Tokenizers.sha256(HfTokenizerJson.toBytes(bpe)));
    }

    @Test
    void tokenizersFromJson_cachesOneInstancePerContent() {
        byte[] json = HfTokenizerJson.toBytes(bpe);
        assertSame(Tokenizers.fromJson(json), Tokenizers.fromJson(json.clone()));
    }

    @Test
    void read_rejectsANormalizerNamingIt() throws Exception {
        var root = (ObjectNode) new ObjectMapper().readTree(HfTokenizerJson.toBytes(bpe));
        root.putObject("normalizer").put("type", "NFC");
        var e = assertThrows(
                UserException.class, () -> HfTokenizerJson.read(new ObjectMapper().writeValueAsBytes(root)));
        assertEquals(
                "tokenizer.json has a normalizer (NFC); only byte-level BPE without one is supported", e.getMessage());
    }

    @Test
    void read_rejectsMissingEos() throws Exception {
        var root = (ObjectNode) new ObjectMapper().readTree(HfTokenizerJson.toBytes(bpe));
        root.putArray("added_tokens");
        var e = assertThrows(
                UserException.class, () -> HfTokenizerJson.read(new ObjectMapper().writeValueAsBytes(root)));
        assertTrue(e.getMessage().contains("no <|endoftext|> in added_tokens"), e.getMessage());
    }

    @Test
    void read_rejectsNonJson() {
        var e = assertThrows(
                UserException.class, () -> HfTokenizerJson.read("{not json".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("tokenizer.json is not valid JSON"), e.getMessage());
    }

    @Test
    void read_acceptsPairFormMerges() throws Exception {
        var mapper = new ObjectMapper();
        var root = (ObjectNode) mapper.readTree(HfTokenizerJson.toBytes(bpe));
        var merges = ((ObjectNode) root.path("model")).putArray("merges");
        for (int[] m : bpe.merges()) {
            merges.addArray()
                    .add(ByteLevel.toSymbols(bpe.tokenBytes(m[0])))
                    .add(ByteLevel.toSymbols(bpe.tokenBytes(m[1])));
        }
        BpeTokenizer loaded = HfTokenizerJson.read(mapper.writeValueAsBytes(root));
        assertArrayEquals(HfTokenizerJson.toBytes(bpe), HfTokenizerJson.toBytes(loaded));
    }
}
