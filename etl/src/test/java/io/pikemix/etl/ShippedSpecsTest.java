package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The corpus specs shipped in {@code corpus/} load, and the data-constrained variant is what its comment says. */
class ShippedSpecsTest {
    private static final Path CORPUS = Path.of("..", "corpus");

    @Test
    void everyShippedSpecLoads() throws Exception {
        List<Path> specs;
        try (Stream<Path> s = Files.list(CORPUS)) {
            specs = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(specs.size() >= 4, "corpus/*.yaml: " + specs);
        for (Path p : specs) {
            CorpusSpec spec = CorpusSpecs.load(p);
            assertTrue(spec.domains().size() >= 2, p + " has " + spec.domains().size() + " domains");
            assertEquals(128, spec.context(), p + ": the CPU specs pack 128-token examples");
        }
    }

    @Test
    void scarceVariant_isMultilingualWithHindiCutAndAFifthHeldOut() {
        CorpusSpec full = CorpusSpecs.load(CORPUS.resolve("multilingual.yaml"));
        CorpusSpec scarce = CorpusSpecs.load(CORPUS.resolve("multilingual-scarce.yaml"));
        assertEquals(
                full.domains().stream().map(CorpusSpec.DomainSpec::name).toList(),
                scarce.domains().stream().map(CorpusSpec.DomainSpec::name).toList());
        for (int k = 0; k < 2; k++) { // en and de: the same files
            assertEquals(full.domains().get(k).paths(), scarce.domains().get(k).paths());
        }
        assertEquals(List.of("scarce/hi/*.jsonl.gz"), scarce.domains().get(2).paths());
        assertEquals(full.tokenizer(), scarce.tokenizer());
        assertEquals(0.05, full.valFraction());
        assertEquals(0.2, scarce.valFraction());
    }
}
