package io.pikemix.etl;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusSpecsTest {
    @TempDir
    Path dir;

    private Path spec(String yaml) throws Exception {
        Path f = dir.resolve("spec.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private String error(String yaml) throws Exception {
        Path f = spec(yaml);
        var e = assertThrows(UserException.class, () -> CorpusSpecs.load(f));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void specWithOnlyDomains_isCompleteWithDocumentedDefaults() throws Exception {
        CorpusSpec s = CorpusSpecs.load(spec("""
                domains:
                  - name: en
                    format: jsonl
                    paths: [corpus/en/*.jsonl.gz]
                    prior: 0.42
                """));
        assertEquals(1, s.domains().size());
        var d = s.domains().get(0);
        assertEquals("en", d.name());
        assertEquals(CorpusSpec.Format.JSONL, d.format());
        assertEquals(0.42, d.prior());
        assertEquals("text", d.textColumn());
        assertEquals("cl100k_base", s.tokenizer());
        assertEquals(1024, s.context());
        assertEquals(0.05, s.valFraction());
        assertEquals(dir.toAbsolutePath(), s.baseDir());
    }

    @Test
    void overrides_replaceSpecValues() throws Exception {
        CorpusSpec s = CorpusSpecs.load(spec("context: 64\ndomains: [{name: a, format: text, paths: x.txt}]\n"))
                .with("bpe:512", 32, 0.1);
        assertEquals(32, s.context());
        assertEquals("bpe:512", s.tokenizer());
        assertEquals(0.1, s.valFraction());
        assertNull(s.domains().get(0).prior());
    }

    @Test
    void unknownKey_isNamed() throws Exception {
        assertTrue(error("domains: [{name: a, format: text, paths: [x], weight: 2}]\n")
                .contains("unknown key 'domains[0].weight'"));
        assertTrue(error("contxt: 5\ndomains: [{name: a, format: text, paths: [x]}]\n")
                .contains("unknown key 'contxt'"));
    }

    @Test
    void duplicateDomain_isNamed() throws Exception {
        assertTrue(error("domains: [{name: a, format: text, paths: [x]}, {name: a, format: jsonl, paths: [y]}]\n")
                .contains("duplicate domain name 'a'"));
    }

    @Test
    void negativePrior_isRejected() throws Exception {
        assertTrue(error("domains: [{name: a, format: text, paths: [x], prior: -0.1}]\n")
                .contains("'domains[a].prior' must be a finite number >= 0"));
    }

    @Test
    void missingFields_areNamed() throws Exception {
        assertTrue(error("tokenizer: cl100k_base\n").contains("missing key 'domains'"));
        assertTrue(error("domains: [{format: text, paths: [x]}]\n").contains("missing key 'domains[0].name'"));
        assertTrue(error("domains: [{name: a, paths: [x]}]\n").contains("missing key 'domains[a].format'"));
        assertTrue(error("domains: [{name: a, format: text}]\n").contains("missing key 'domains[a].paths'"));
    }

    @Test
    void badValues_areNamed() throws Exception {
        assertTrue(error("domains: [{name: a, format: csv, paths: [x]}]\n")
                .contains("'domains[a].format' must be one of [jsonl, text, parquet]"));
        assertTrue(error("context: big\ndomains: [{name: a, format: text, paths: [x]}]\n")
                .contains("'context' must be an integer"));
        assertTrue(error("val_fraction: 1.5\ndomains: [{name: a, format: text, paths: [x]}]\n")
                .contains("'val_fraction' must be in [0, 1)"));
        assertTrue(error("domains: []\n").contains("'domains' is empty"));
        assertTrue(error("domains: [{name: a, format: jsonl, paths: [x], doc_separator: file}]\n")
                .contains("applies only to format 'text'"));
        assertTrue(error("domains: [ {name: a\n").contains("not valid YAML"));
    }

    @Test
    void missingSpecFile_isAUserError() {
        var e = assertThrows(UserException.class, () -> CorpusSpecs.load(dir.resolve("nope.yaml")));
        assertTrue(e.getMessage().contains("corpus spec not found"));
    }
}
