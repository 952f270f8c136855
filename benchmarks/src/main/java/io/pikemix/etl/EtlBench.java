package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.format.DatasetInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench/etl}: on the same text, the tokenizer's raw single-thread encode rate against the whole
 * tokenize+pack+Parquet job's rate per core, and their ratio. Ends with
 * {@code RESULT etl_per_core_over_raw=R raw_mb_s=X job_mb_s_per_core=Y}.
 *
 * <p>Usage: {@code EtlBench SPEC TOKENIZER CORES WORKDIR REPEAT}. The corpus is read REPEAT times (its files
 * linked REPEAT times under WORKDIR, so the job has enough tasks and its fixed cost is amortised as on a
 * real corpus); the raw encoder gets the same documents the same number of times. Both sides are measured
 * warm (the best of two passes / runs): the encoder's pre-token cache is per JVM and shared by the job's
 * tasks in local mode.
 *
 * <p>It lives in the {@code benchmarks} module but in the package {@code io.pikemix.etl}, so that it can read the
 * documents with the ETL's own (package-private) {@code DocumentReader} and {@code InputPlan} without making
 * them part of the etl module's public API.
 */
public final class EtlBench {
    /**
     * Wall seconds from the first Spark job's start to the last one's end: with a tokenizer file, the only Spark
     * job of {@link EtlJob#run} is its tokenize+pack+Parquet write, so this is that stage's time.
     */
    static final class JobSpan extends SparkListener {
        private long first = Long.MAX_VALUE, last, started, ended;

        @Override public synchronized void onJobStart(SparkListenerJobStart e) { first = Math.min(first, e.time()); started++; }
        @Override public synchronized void onJobEnd(SparkListenerJobEnd e) { last = Math.max(last, e.time()); ended++; }

        synchronized void reset() { first = Long.MAX_VALUE; last = 0; started = ended = 0; }

        /** Waits (≤ 10 s) for the listener bus to deliver every job's end, then returns the span in seconds. */
        double seconds() throws InterruptedException {
            for (int i = 0; i < 1000; i++) {
                synchronized (this) { if (started > 0 && ended == started) return (last - first) / 1e3; }
                Thread.sleep(10);
            }
            throw new IllegalStateException("bench/etl: the Spark listener saw no finished job");
        }
    }

    /** The spec with each domain's files linked {@code repeat} times under {@code dir} (distinct paths, same bytes). */
    static CorpusSpec repeated(CorpusSpec spec, int repeat, Path dir, SparkSession spark) throws Exception {
        if (repeat <= 1) return spec;
        var domains = new ArrayList<CorpusSpec.DomainSpec>();
        for (var d : spec.domains()) {
            var files = InputPlan.resolve(spec, d, spark.sparkContext().hadoopConfiguration());
            for (int r = 0; r < repeat; r++) {
                Path copy = dir.resolve(d.name()).resolve("copy" + r);
                Files.createDirectories(copy);
                for (var f : files) {
                    Path src = Path.of(f.getPath().toUri()), link = copy.resolve(src.getFileName());
                    if (!Files.exists(link)) Files.createSymbolicLink(link, src);
                }
            }
            domains.add(new CorpusSpec.DomainSpec(d.name(), d.format(), List.of(dir.resolve(d.name()) + "/copy*/*"),
                    d.prior(), d.textColumn(), d.docSeparator()));
        }
        // 1 MiB input groups: enough tasks of similar size to keep every core busy to the end, as on a big corpus
        return new CorpusSpec(spec.file(), domains, spec.tokenizer(), spec.context(), spec.valFraction(), spec.splitSeed(),
                spec.maxDocBytes(), Math.min(spec.splitBytes(), 1L << 20));
    }

    public static void main(String[] args) throws Exception {
        Path specFile = Path.of(args.length > 0 ? args[0] : "corpus/genres.yaml");
        String tokenizer = args.length > 1 ? args[1] : "bpe:8192";
        int cores = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path work = Path.of(args.length > 3 ? args[3] : "target/bench-etl").toAbsolutePath();
        int repeat = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        Files.createDirectories(work);
        CorpusSpec spec = CorpusSpecs.load(specFile);
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("bench-etl")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.hadoop." + LocalFileSystem.KEY, LocalFileSystem.class.getName())   // as bin/pike runs it
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        var quiet = new PrintStream(new ByteArrayOutputStream());
        try {
            if (tokenizer.startsWith("bpe:")) {                      // train once, untimed; both sides use the file
                Path tokFile = work.resolve("tokenizer-" + tokenizer.substring(4) + ".json");
                if (!Files.exists(tokFile)) TokenizerTraining.train(spark, spec, Integer.parseInt(tokenizer.substring(4)), tokFile);
                tokenizer = tokFile.toAbsolutePath().toString();
            }
            spec = repeated(spec, repeat, work.resolve("input"), spark).with(tokenizer, null, null);

            // the text, in memory, read by the same reader the job uses (untimed)
            List<String> docs = new ArrayList<>();
            long bytes = 0;
            for (Task t : InputPlan.plan(spec, spark.sparkContext().hadoopConfiguration())) {
                var reader = new DocumentReader(spark.sparkContext().hadoopConfiguration(), spec.maxDocBytes(), t, n -> {});
                for (DocumentReader.Doc d; (d = reader.next()) != null; ) { docs.add(d.text()); bytes += d.utf8().length; }
            }
            Tokenizer tok = tokenizer.endsWith(".json") ? Tokenizers.fromJson(Files.readAllBytes(Path.of(tokenizer)))
                    : Tokenizers.load(tokenizer, null);
            double rawBest = Double.MAX_VALUE;
            long ids = 0;
            for (int pass = 0; pass < 2; pass++) {
                long t0 = System.nanoTime();
                ids = 0;
                for (String d : docs) ids += tok.encode(d).length;
                rawBest = Math.min(rawBest, (System.nanoTime() - t0) / 1e9);
            }
            double rawRate = bytes / 1e6 / rawBest;

            double jobBest = Double.MAX_VALUE, packBest = Double.MAX_VALUE;
            DatasetInfo info = null;
            var span = new JobSpan();
            spark.sparkContext().addSparkListener(span);
            for (int run = 0; run < 2; run++) {
                span.reset();
                long t0 = System.nanoTime();
                var job = new EtlJob(spark, new EtlConfig(spec, work.resolve("dataset").toString(), true, 0), quiet);
                info = job.run();
                jobBest = Math.min(jobBest, (System.nanoTime() - t0) / 1e9);
                packBest = Math.min(packBest, span.seconds());
            }
            double jobRate = bytes / 1e6 / jobBest;
            double perCore = jobRate / cores;
            long tasks = InputPlan.plan(spec, spark.sparkContext().hadoopConfiguration()).size();

            System.out.printf(Locale.ROOT, "%nETL benchmark: %s ×%d, tokenizer %s, %,d documents, %.1f MB of UTF-8 text, %,d tokens, %d tasks, local[%d]%n",
                    specFile, repeat, info.tokenizer().name(), docs.size(), bytes / 1e6, ids, tasks, cores);
            System.out.printf(Locale.ROOT, "%-46s %10s %12s%n", "measure", "seconds", "MB/s");
            System.out.printf(Locale.ROOT, "%-46s %10.2f %12.2f%n", "raw encode, 1 thread (best of 2 passes)", rawBest, rawRate);
            System.out.printf(Locale.ROOT, "%-46s %10.2f %12.2f%n", "ETL job, " + cores + " cores (read+split+encode+pack+Parquet)", jobBest, jobRate);
            System.out.printf(Locale.ROOT, "%-46s %10.2f %12.2f%n", "  of which the Spark tokenize+pack+write stage", packBest, bytes / 1e6 / packBest);
            System.out.printf(Locale.ROOT, "%-46s %10s %12.2f%n", "ETL job per core", "", perCore);
            System.out.printf(Locale.ROOT, "%-46s %10s %12.2f%n", "ratio: job per core / raw encode", "", perCore / rawRate);
            System.out.printf(Locale.ROOT, "RESULT etl_per_core_over_raw=%.3f raw_mb_s=%.2f job_mb_s_per_core=%.2f cores=%d mb=%.1f%n",
                    perCore / rawRate, rawRate, perCore, cores, bytes / 1e6);
        } finally {
            spark.stop();
        }
    }
}
