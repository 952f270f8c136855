package io.pikemix.cli;

import static io.pikemix.cli.MainTest.assertOneLineError;
import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pike etl}'s own flags: {@code --dedup} over the spec's top-level {@code dedup:}, and the free-space guard. */
class EtlCommandTest {
    @TempDir
    Path dir;

    /** Domain a: 3 lines, the third the first's text with other spaces; domain b the same lines and its own dedup. */
    Path spec(String topLevel) throws Exception {
        String lines = "{\"text\": \"The harbour accounts were published on Tuesday.\"}\n"
                + "{\"text\": \"Minutes of the meeting: nothing to report.\"}\n"
                + "{\"text\": \"The harbour  accounts were\\n published on Tuesday.\"}\n";
        Files.writeString(dir.resolve("a.jsonl"), lines);
        Files.writeString(dir.resolve("b.jsonl"), lines);
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 4\nval_fraction: 0\n" + topLevel + "domains:\n"
                        + "  - {name: a, format: jsonl, paths: [a.jsonl]}\n"
                        + "  - {name: b, format: jsonl, paths: [b.jsonl], dedup: exact}\n");
        return spec;
    }

    MainTest.Result etl(Path spec, String out, String... more) {
        String[] base = {
            "etl", "--master", "local[1]", "--progress-seconds", "0", "--spec", spec.toString(), "--out", out
        };
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return run(args);
    }

    static long documents(DatasetInfo info, String domain) {
        return info.domains().stream()
                .filter(d -> d.name().equals(domain))
                .findFirst()
                .orElseThrow()
                .split("train")
                .documents();
    }

    static Map<String, Long> skipped(DatasetInfo info, String domain) {
        return info.domains().stream()
                .filter(d -> d.name().equals(domain))
                .findFirst()
                .orElseThrow()
                .skipped();
    }

    @Tag("spark")
    @Test
    void dedupFlag_overridesTheTopLevelDedup_notADomainsOwn() throws Exception {
        Path spec = spec(""); // top level: none
        String plain = dir.resolve("plain").toString(),
                exact = dir.resolve("exact").toString();
        assertEquals(0, etl(spec, plain).status());
        DatasetInfo p = DatasetInfo.read(Path.of(plain));
        assertEquals(3, documents(p, "a"));
        assertEquals(Map.of(), skipped(p, "a"));
        assertEquals(2, documents(p, "b")); // its own dedup: exact
        assertEquals(Map.of("duplicate", 1L), skipped(p, "b"));

        MainTest.Result r = etl(spec, exact, "--dedup", "exact");
        assertEquals(0, r.status(), r.err());
        DatasetInfo e = DatasetInfo.read(Path.of(exact));
        assertEquals(2, documents(e, "a")); // the third line repeats the first once whitespace is normalised
        assertEquals(Map.of("duplicate", 1L), skipped(e, "a"));
        assertEquals(2, documents(e, "b"));

        Path specExact = spec("dedup: exact\n");
        String off = dir.resolve("off").toString();
        assertEquals(0, etl(specExact, off, "--dedup", "off").status());
        DatasetInfo o = DatasetInfo.read(Path.of(off));
        assertEquals(3, documents(o, "a")); // the spec's top-level exact, overridden
        assertEquals(2, documents(o, "b")); // a domain's own dedup: exact stays
        // --dedup off gives the same rows as a spec without dedup
        assertEquals(p.domains().get(0).split("train"), o.domains().get(0).split("train"));
    }

    @Test
    void dedupFlag_unknownValue_isOneLine() throws Exception {
        assertOneLineError(etl(spec(""), dir.resolve("x").toString(), "--dedup", "fuzzy"), "--dedup");
    }

    @Tag("spark")
    @Test
    void spaceGuard_refusesToStart_namingTheNumbers_andWritesNothing() throws Exception {
        Path spec = spec("");
        Path out = dir.resolve("full");
        MainTest.Result r = etl(spec, out.toString(), "--space-factor", "1e15");
        long input = Files.size(dir.resolve("a.jsonl")) + Files.size(dir.resolve("b.jsonl"));
        assertOneLineError(r, "not enough space for the dataset at " + out);
        String line = r.err().strip();
        assertTrue(
                line.contains(String.format(java.util.Locale.ROOT, "%,.1f MB of input × 1.0E15", input / 1e6)), line);
        assertTrue(line.contains("MB usable"), line);
        assertFalse(Files.exists(out), "nothing written");
        assertEquals(0, etl(spec, out.toString(), "--space-factor", "0").status()); // 0: no check
        assertTrue(Files.exists(out.resolve("dataset.json")));
    }
}
