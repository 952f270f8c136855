package io.pikemix.etl;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetInfo;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * {@code bench/etl}: on one text of {@code MB} megabytes (the spec's corpus repeated, written once as
 * uncompressed JSON lines under {@code WORKDIR}) and one {@code tokenizer.json}, measures
 * <ul>
 *   <li>the project's byte-level BPE encoding the whole text on one thread;</li>
 *   <li>Hugging Face {@code tokenizers} (the Rust library through DJL) on one thread, on one copy of the corpus (a
 *       sample: it is ≈ 20× slower), checking that its ids equal the BPE's on every document of the copy — and so
 *       on the whole text, which is that copy repeated;</li>
 *   <li>jtokkit's {@code cl100k_base} on one copy, for reference (another vocabulary);</li>
 *   <li>the whole ETL job ({@link EtlJob#run}: plan, read, split, encode, pack, Parquet, publish) on {@code local[1]}
 *       and {@code local[2]}, with core-hours per TB, and its peak heap beside a 0.1 GB run's.</li>
 * </ul>
 * Every measure is repeated {@code REPS} times; the medians are reported. Ends with
 * {@code RESULT etl_per_core_over_raw=R bpe_over_hf=R ...}, where {@code etl_per_core_over_raw} is the
 * {@code local[1]} job's rate over the one-thread BPE rate (one core each).
 *
 * <p>Usage: {@code EtlBench SPEC TOKENIZER MB WORKDIR REPS [PARTS]}, PARTS a comma list of
 * {@code raw,hf,jtokkit,job1,job2,small} (default all). It lives in the {@code benchmarks} module but in the package
 * {@code io.pikemix.etl}, so that it can read documents with the ETL's own package-private {@code DocumentReader}.
 */
public final class EtlBench {
    static final long TASK_BYTES = 16L << 20; // input split: 64 tasks per GB, enough to keep every core busy

    public static void main(String[] args) throws Exception {
        Path specFile = Path.of(args.length > 0 ? args[0] : "corpus/genres.yaml");
        String tokenizer = args.length > 1 ? args[1] : "bpe:8192";
        double mb = args.length > 2 ? Double.parseDouble(args[2]) : 1000;
        Path work = Path.of(args.length > 3 ? args[3] : "/tmp/pike-bench-etl").toAbsolutePath();
        int reps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        Set<String> parts = Set.of((args.length > 5 ? args[5] : "raw,hf,jtokkit,job1,job2,small").split(","));
        Files.createDirectories(work);
        CorpusSpec spec = CorpusSpecs.load(specFile);
        Configuration hadoop = new Configuration();
        hadoop.set(LocalFileSystem.KEY, LocalFileSystem.class.getName());

        // the corpus's documents, by domain, read by the ETL's own reader (untimed)
        Map<String, List<String>> corpus = new LinkedHashMap<>();
        long copyBytes = 0;
        for (Task t : InputPlan.plan(spec, hadoop)) {
            var reader = new DocumentReader(hadoop, spec.maxDocBytes(), t, (n, p) -> {});
            for (DocumentReader.Doc d; (d = reader.next()) != null; ) {
                corpus.computeIfAbsent(t.domain(), k -> new ArrayList<>()).add(d.text());
                copyBytes += d.text().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        List<String> copy = corpus.values().stream().flatMap(List::stream).toList();
        int repeat = (int) Math.ceil(mb * 1e6 / copyBytes), smallRepeat = (int) Math.ceil(100e6 / copyBytes);
        long bytes = repeat * copyBytes;

        SparkSession spark = session(1);
        try {
            Path tokFile = tokenizer.endsWith(".json") ? Path.of(tokenizer).toAbsolutePath() : null;
            if (tokenizer.startsWith("bpe:")) { // trained once per WORKDIR, untimed
                tokFile = work.resolve("tokenizer-" + tokenizer.substring(4) + ".json");
                if (!Files.exists(tokFile))
                    TokenizerTraining.train(spark, spec, Integer.parseInt(tokenizer.substring(4)), tokFile);
            }
            if (tokFile == null)
                throw new IllegalArgumentException(
                        "bench/etl compares tokenizer.json implementations: give bpe:N or a file");
            Tokenizer bpe = Tokenizers.fromJson(Files.readAllBytes(tokFile));
            System.out.printf(
                    Locale.ROOT,
                    "bench/etl: %s ×%d = %.1f MB of UTF-8 text (%,d documents), tokenizer %s (%s), %d reps%n",
                    specFile,
                    repeat,
                    bytes / 1e6,
                    (long) repeat * copy.size(),
                    bpe.name(),
                    tokFile,
                    reps);

            var rows = new ArrayList<String[]>();
            double raw = Double.NaN, hf = Double.NaN, job1 = Double.NaN;
            long tokensPerCopy = 0;
            for (String d : copy) tokensPerCopy += bpe.encode(d).length; // also warms the pre-token cache
            if (parts.contains("raw")) {
                // encodeUtf8 on the documents' bytes: what the job calls; the job also reads, checks and hashes them
                List<byte[]> utf8 = copy.stream()
                        .map(d -> d.getBytes(StandardCharsets.UTF_8))
                        .toList();
                long[] count = new long[1];
                var sink = new io.pikemix.etl.tokenizer.TokenSink() {
                    @Override
                    public void token(int id) {
                        count[0]++;
                    }

                    @Override
                    public void tokens(int[] ids) {
                        count[0] += ids.length;
                    }
                };
                double[] s = new double[reps];
                for (int r = 0; r < reps; r++) {
                    count[0] = 0;
                    long t0 = System.nanoTime();
                    for (int k = 0; k < repeat; k++) for (byte[] d : utf8) bpe.encodeUtf8(d, 0, d.length, sink);
                    s[r] = (System.nanoTime() - t0) / 1e9;
                    if (count[0] != tokensPerCopy * repeat) throw new IllegalStateException("token count changed");
                }
                raw = bytes / 1e6 / median(s);
                rows.add(row("project BPE encodeUtf8, 1 thread, " + fmt(bytes) + " MB", s, raw));
                double[] t = new double[reps];
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    for (String d : copy) bpe.encode(d);
                    t[r] = (System.nanoTime() - t0) / 1e9;
                }
                rows.add(row(
                        "project BPE encode(String) → int[], 1 thread, one copy (" + fmt(copyBytes) + " MB)",
                        t,
                        copyBytes / 1e6 / median(t)));
            }
            if (parts.contains("hf")) hf = hf(tokFile, copy, copyBytes, bpe, reps, rows);
            if (parts.contains("jtokkit")) {
                Encoding cl100k = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
                for (String d : copy) cl100k.encodeOrdinary(d);
                double[] s = new double[reps];
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    for (String d : copy) cl100k.encodeOrdinary(d);
                    s[r] = (System.nanoTime() - t0) / 1e9;
                }
                rows.add(row(
                        "jtokkit cl100k_base, 1 thread, one copy (" + fmt(copyBytes) + " MB; other vocabulary)",
                        s,
                        copyBytes / 1e6 / median(s)));
            }

            String tok = tokFile.toString();
            CorpusSpec big = generated(spec, corpus, repeat, work, tok),
                    small = generated(spec, corpus, smallRepeat, work, tok);
            double[] mem = new double[4];
            if (parts.contains("job1") || parts.contains("small")) {
                run(spark, small, work, null); // warm-up: JIT, Spark's first job
                if (parts.contains("job1")) {
                    double[] s = new double[reps];
                    for (int r = 0; r < reps; r++) s[r] = run(spark, big, work, r == 0 ? mem : null);
                    job1 = bytes / 1e6 / median(s);
                    rows.add(row("ETL job, local[1], " + fmt(bytes) + " MB", s, job1));
                }
                if (parts.contains("small")) {
                    double[] s = new double[reps];
                    double[] m2 = new double[2];
                    for (int r = 0; r < reps; r++) s[r] = run(spark, small, work, r == 0 ? m2 : null);
                    mem[2] = m2[0];
                    mem[3] = m2[1];
                    rows.add(row(
                            "ETL job, local[1], " + fmt(smallRepeat * copyBytes) + " MB",
                            s,
                            smallRepeat * copyBytes / 1e6 / median(s)));
                }
            }
            double job2 = Double.NaN;
            if (parts.contains("job2")) {
                spark.stop();
                spark = session(2);
                run(spark, small, work, null);
                double[] s = new double[reps];
                for (int r = 0; r < reps; r++) s[r] = run(spark, big, work, null);
                job2 = bytes / 1e6 / median(s);
                rows.add(row("ETL job, local[2], " + fmt(bytes) + " MB", s, job2));
            }

            System.out.printf(Locale.ROOT, "%n%-66s %28s %10s%n", "measure", "seconds (reps)", "MB/s");
            for (String[] r : rows) System.out.printf(Locale.ROOT, "%-66s %28s %10s%n", (Object[]) r);
            if (!Double.isNaN(job1))
                System.out.printf(
                        Locale.ROOT,
                        "local[1]: %.2f MB/s per core = %.2f core-hours per TB%n",
                        job1,
                        1e6 / job1 / 3600);
            if (!Double.isNaN(job2))
                System.out.printf(
                        Locale.ROOT,
                        "local[2]: %.2f MB/s per core = %.2f core-hours per TB (2 cores shared with other sessions: see uptime)%n",
                        job2 / 2,
                        1e6 / (job2 / 2) / 3600);
            if (mem[0] > 0)
                System.out.printf(
                        Locale.ROOT,
                        "peak heap (sampled every 20 ms; live = after a collection): %s MB: %.0f MB, live %.0f MB; %s MB: %.0f MB, live %.0f MB%n",
                        fmt(bytes),
                        mem[0],
                        mem[1],
                        fmt(smallRepeat * copyBytes),
                        mem[2],
                        mem[3]);
            System.out.printf(
                    Locale.ROOT,
                    "RESULT etl_per_core_over_raw=%.3f bpe_over_hf=%.1f raw_mb_s=%.2f hf_mb_s=%.2f job1_mb_s=%.2f job2_mb_s_per_core=%.2f mb=%.0f%n",
                    job1 / raw,
                    raw / hf,
                    raw,
                    hf,
                    job1,
                    job2 / 2,
                    bytes / 1e6);
        } finally {
            spark.stop();
        }
    }

    static SparkSession session(int cores) {
        SparkSession spark = SparkSession.builder()
                .master("local[" + cores + "]")
                .appName("bench-etl")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName()) // as bin/pike runs it
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }

    /** HF tokenizers through DJL, one document per call on this thread; its ids must equal the BPE's. */
    static double hf(Path tokFile, List<String> copy, long copyBytes, Tokenizer bpe, int reps, List<String[]> rows)
            throws Exception {
        try (var hf = HuggingFaceTokenizer.newInstance(
                tokFile, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            long mismatched = 0;
            for (String d : copy) {
                long[] theirs = hf.encode(d, false, false).getIds();
                int[] ours = bpe.encode(d);
                boolean same = theirs.length == ours.length;
                for (int i = 0; same && i < ours.length; i++) same = theirs[i] == ours[i];
                if (!same) mismatched++;
            }
            if (mismatched > 0)
                throw new IllegalStateException(
                        mismatched + " of " + copy.size() + " documents got other ids from HF tokenizers");
            double[] s = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (String d : copy) hf.encode(d, false, false);
                s[r] = (System.nanoTime() - t0) / 1e9;
            }
            double rate = copyBytes / 1e6 / median(s);
            rows.add(row(
                    "HF tokenizers (DJL), 1 thread, one copy (" + fmt(copyBytes) + " MB, " + copy.size()
                            + " docs, ids identical)",
                    s,
                    rate));
            return rate;
        }
    }

    /**
     * The corpus repeated {@code repeat} times as uncompressed JSON lines (one document per line, the news and books
     * files included), written once under {@code work/input-R/<domain>/}, in files of ≤ 64 MB; the spec reads them in
     * 16 MB tasks with the given tokenizer file.
     */
    static CorpusSpec generated(
            CorpusSpec spec, Map<String, List<String>> corpus, int repeat, Path work, String tokenizer)
            throws Exception {
        Path root = work.resolve("input-" + repeat);
        var domains = new ArrayList<CorpusSpec.DomainSpec>();
        boolean done = Files.exists(root.resolve("_done"));
        var json = new JsonFactory();
        for (var d : spec.domains()) {
            Path dir = root.resolve(d.name());
            if (!done) {
                Files.createDirectories(dir);
                int file = 0;
                long written = Long.MAX_VALUE;
                OutputStream out = null;
                for (int r = 0; r < repeat; r++)
                    for (String text : corpus.get(d.name())) {
                        if (written > 64L << 20) {
                            if (out != null) out.close();
                            out = new BufferedOutputStream(
                                    Files.newOutputStream(dir.resolve(String.format("part-%05d.jsonl", file++))),
                                    1 << 20);
                            written = 0;
                        }
                        var line = new ByteArrayOutputStream(text.length() + 32);
                        try (JsonGenerator g = json.createGenerator(line)) {
                            g.writeStartObject();
                            g.writeStringField("text", text);
                            g.writeEndObject();
                        }
                        line.write('\n');
                        line.writeTo(out);
                        written += line.size();
                    }
                if (out != null) out.close();
            }
            domains.add(new CorpusSpec.DomainSpec(
                    d.name(),
                    CorpusSpec.Format.JSONL,
                    List.of(dir + "/*.jsonl"),
                    d.prior(),
                    "text",
                    CorpusSpec.DocSeparator.FILE));
        }
        if (!done) Files.writeString(root.resolve("_done"), "");
        return new CorpusSpec(
                spec.file(),
                domains,
                tokenizer,
                spec.context(),
                spec.valFraction(),
                spec.splitSeed(),
                spec.maxDocBytes(),
                TASK_BYTES);
    }

    /** One ETL job; its wall seconds. With {@code mem}: [peak heap MB, peak live heap MB] sampled while it ran. */
    static double run(SparkSession spark, CorpusSpec spec, Path work, double[] mem) throws Exception {
        var sampler = mem == null ? null : new HeapSampler();
        long t0 = System.nanoTime();
        DatasetInfo info = new EtlJob(
                        spark,
                        new EtlConfig(spec, work.resolve("dataset").toString(), true, 0),
                        new PrintStream(new ByteArrayOutputStream()))
                .run();
        double s = (System.nanoTime() - t0) / 1e9;
        if (sampler != null) {
            sampler.stop();
            mem[0] = sampler.peak / 1e6;
            mem[1] = sampler.live / 1e6;
        }
        if (info.domains().isEmpty()) throw new IllegalStateException();
        return s;
    }

    /** Heap used (all pools), and heap used after the latest collection, sampled every 20 ms. */
    static final class HeapSampler {
        volatile long peak, live;
        private final Thread thread;

        HeapSampler() {
            System.gc();
            List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP)
                    .toList();
            thread = new Thread(
                    () -> {
                        while (!Thread.currentThread().isInterrupted()) {
                            long used = 0, after = 0;
                            for (var p : heap) {
                                used += p.getUsage().getUsed();
                                var c = p.getCollectionUsage();
                                if (c != null) after += c.getUsed();
                            }
                            peak = Math.max(peak, used);
                            live = Math.max(live, after);
                            try {
                                Thread.sleep(20);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join();
        }
    }

    static double median(double[] s) {
        double[] c = s.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static String[] row(String what, double[] s, double rate) {
        var sb = new StringBuilder(String.format(Locale.ROOT, "%.2f", median(s))).append(" (");
        for (int i = 0; i < s.length; i++) sb.append(i > 0 ? " " : "").append(String.format(Locale.ROOT, "%.2f", s[i]));
        return new String[] {what, sb.append(')').toString(), String.format(Locale.ROOT, "%.2f", rate)};
    }

    static String fmt(long bytes) {
        return String.format(Locale.ROOT, "%.0f", bytes / 1e6);
    }
}
