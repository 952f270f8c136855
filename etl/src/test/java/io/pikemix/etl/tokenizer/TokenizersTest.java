package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pikemix.format.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {
    @Test
    void cl100k_eosIs100257AndVocabCountsSpecials() {
        Tokenizer cl100k = Tokenizers.load("cl100k_base", null);
        assertEquals("cl100k_base", cl100k.name());
        assertEquals(100257, cl100k.eosId());
        assertEquals(100277, cl100k.vocabSize());
        assertEquals("<|endoftext|>", cl100k.decode(new int[] {100257}));
        assertArrayEquals(new int[] {9906, 1917}, cl100k.encode("Hello world")); // tiktoken's ids
    }

    @Test
    void o200k_eosIs199999() {
        Tokenizer o200k = Tokenizers.load("o200k_base", null);
        assertEquals(199999, o200k.eosId());
        assertEquals(200019, o200k.vocabSize());
        assertEquals("<|endoftext|>", o200k.decode(new int[] {199999}));
    }

    @Test
    void jtokkit_roundTripsFixtureAndEdgeCases() {
        for (String name : new String[] {"cl100k_base", "o200k_base"}) {
            Tokenizer tok = Tokenizers.load(name, null);
            for (String doc : Fixture.documents()) assertEquals(doc, tok.decode(tok.encode(doc)));
            for (String doc : Fixture.edgeCases()) assertEquals(doc, tok.decode(tok.encode(doc)), doc);
            for (int id : tok.encode(String.join("\n", Fixture.documents())))
                assertTrue(id >= 0 && id < tok.vocabSize());
        }
    }

    @Test
    void jtokkit_treatsSpecialTokenTextAsOrdinary() {
        Tokenizer cl100k = Tokenizers.load("cl100k_base", null);
        int[] ids = cl100k.encode("a<|endoftext|>b");
        assertTrue(ids.length > 3);
        for (int id : ids) assertTrue(id != 100257);
    }

    @Test
    void load_cachesOneInstancePerSpec() {
        assertSame(Tokenizers.load("cl100k_base", null), Tokenizers.load("cl100k_base", Path.of("/elsewhere")));
    }

    @Test
    void load_resolvesTokenizerJsonAgainstBaseDir(@TempDir Path dir) throws Exception {
        BpeTokenizer bpe = BpeTrainer.train(Map.of("hello", 3L, " world", 2L), 300);
        Files.createDirectories(dir.resolve("tok"));
        HfTokenizerJson.write(bpe, dir.resolve("tok/tokenizer.json"));
        Tokenizer loaded = Tokenizers.load("tok/tokenizer.json", dir);
        assertEquals(bpe.contentHash(), loaded.contentHash());
        assertArrayEquals(bpe.encode("hello world"), loaded.encode("hello world"));
    }

    @Test
    void load_unknownSpecSaysWhatIsAccepted() {
        var e = assertThrows(UserException.class, () -> Tokenizers.load("gpt5_base", null));
        assertEquals(
                "unknown tokenizer encoding 'gpt5_base'; use one of [cl100k_base, o200k_base, p50k_base, r50k_base]"
                        + " or a path to a HuggingFace tokenizer.json",
                e.getMessage());
        var missing = assertThrows(UserException.class, () -> Tokenizers.load("nope/tokenizer.json", Path.of("/tmp")));
        assertEquals("tokenizer file not found: /tmp/nope/tokenizer.json", missing.getMessage());
    }
}
