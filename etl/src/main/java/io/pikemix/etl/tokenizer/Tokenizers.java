package io.pikemix.etl.tokenizer;

import io.pikemix.format.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Obtains tokenizers by spec, once per JVM: Spark executors call {@link #load} or {@link #fromJson} in
 * every task and get the same cached instance (and with it the warm pre-token cache).
 */
public final class Tokenizers {
    private static final ConcurrentHashMap<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private Tokenizers() {}

    /**
     * A tokenizer by spec: a tiktoken encoding name ({@code cl100k_base}, {@code o200k_base},
     * {@code p50k_base}, {@code r50k_base}) or the path of a HuggingFace byte-level BPE
     * {@code tokenizer.json}, resolved against {@code baseDir} (null: the working directory).
     *
     * @throws UserException if the spec names no known encoding and no readable tokenizer.json
     */
    public static Tokenizer load(String spec, Path baseDir) {
        if (spec == null || spec.isBlank())
            throw new UserException("tokenizer spec is empty; use e.g. cl100k_base or path/to/tokenizer.json");
        if (JtokkitTokenizer.isKnown(spec))
            return CACHE.computeIfAbsent("tiktoken:" + spec, k -> JtokkitTokenizer.of(spec));
        Path path = baseDir == null ? Path.of(spec) : baseDir.resolve(spec);
        if (!Files.isRegularFile(path)) {
            if (!spec.endsWith(".json") && !spec.contains("/")) JtokkitTokenizer.of(spec); // throws "unknown encoding"
            throw new UserException("tokenizer file not found: " + path);
        }
        try {
            return fromJson(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + path, e);
        }
    }

    /** A byte-level BPE tokenizer from the bytes of a HuggingFace tokenizer.json, cached by their hash. */
    public static Tokenizer fromJson(byte[] tokenizerJson) {
        return CACHE.computeIfAbsent("json:" + sha256(tokenizerJson), k -> HfTokenizerJson.read(tokenizerJson));
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
