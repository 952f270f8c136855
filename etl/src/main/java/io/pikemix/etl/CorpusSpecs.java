package io.pikemix.etl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pikemix.etl.CorpusSpec.DedupMode;
import io.pikemix.etl.CorpusSpec.DocSeparator;
import io.pikemix.etl.CorpusSpec.DomainSpec;
import io.pikemix.etl.CorpusSpec.Format;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and validates a corpus spec YAML file. Unknown keys, duplicate domain names, negative priors and
 * missing fields are errors that name the key and the file. Documented defaults fill every optional key:
 *
 * <pre>
 * tokenizer: cl100k_base     # cl100k_base | o200k_base | path/to/tokenizer.json | bpe:N
 * context: 1024              # tokens per example; rows hold context+1 tokens
 * val_fraction: 0.05         # documents held out for validation, by content hash
 * split_seed: 0              # salt of that hash
 * max_doc_bytes: 8388608     # larger documents are skipped (counted as too_large)
 * split_bytes: 67108864      # input bytes per Spark task
 * dedup: none                # none | exact: drop documents whose normalised text repeats an earlier one of the domain
 * domains:
 *   - name: en               # [A-Za-z0-9_.-]+, unique
 *     format: jsonl          # jsonl | text | parquet
 *     paths: [en/*.jsonl.gz] # globs relative to the spec file
 *     prior: 0.42            # optional, >= 0
 *     text_column: text      # jsonl field / parquet column holding the text (default: text)
 *     doc_separator: file    # text only: file (one document per file) | blank_line
 *     dedup: exact           # optional: overrides the top-level dedup for this domain
 * </pre>
 */
public final class CorpusSpecs {
    private static final Set<String> TOP_KEYS = Set.of(
            "domains", "tokenizer", "context", "val_fraction", "split_seed", "max_doc_bytes", "split_bytes", "dedup");
    private static final Set<String> DOMAIN_KEYS =
            Set.of("name", "format", "paths", "prior", "text_column", "doc_separator", "dedup");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private CorpusSpecs() {}

    public static CorpusSpec load(Path file) {
        return load(file, null);
    }

    /**
     * {@link #load(Path)} with the spec's top-level {@code dedup:} replaced by {@code topLevelDedup} (the command
     * line's {@code --dedup}; null keeps the spec's): the default of every domain that names no {@code dedup:} of
     * its own, as if the spec's top level said it.
     */
    public static CorpusSpec load(Path file, DedupMode topLevelDedup) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new UserException("corpus spec not found: " + file);
        } catch (IOException e) {
            throw new UserException(file + ": not valid YAML: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject())
            throw new UserException(file + ": expected a mapping with a 'domains' list");
        checkKeys(root, TOP_KEYS, file, "");
        JsonNode domainsNode = root.get("domains");
        if (domainsNode == null) throw new UserException(file + ": missing key 'domains'");
        if (!domainsNode.isArray()) throw new UserException(file + ": 'domains' must be a list");
        DedupMode dedup = enumValue(DedupMode.class, text(root, "dedup", file, "", "none"), file, "dedup");
        if (topLevelDedup != null) dedup = topLevelDedup;
        var domains = new ArrayList<DomainSpec>();
        for (int i = 0; i < domainsNode.size(); i++) domains.add(domain(domainsNode.get(i), file, i, dedup));
        return new CorpusSpec(
                file,
                domains,
                text(root, "tokenizer", file, "", CorpusSpec.DEFAULT_TOKENIZER),
                (int) Math.max(
                        Integer.MIN_VALUE,
                        Math.min(
                                Integer.MAX_VALUE,
                                integer(
                                        root,
                                        "context",
                                        file,
                                        "",
                                        CorpusSpec.DEFAULT_CONTEXT))), // 2^32 + 16 is no context of 16
                number(root, "val_fraction", file, "", CorpusSpec.DEFAULT_VAL_FRACTION),
                integer(root, "split_seed", file, "", 0),
                integer(root, "max_doc_bytes", file, "", CorpusSpec.DEFAULT_MAX_DOC_BYTES),
                integer(root, "split_bytes", file, "", CorpusSpec.DEFAULT_SPLIT_BYTES));
    }

    private static DomainSpec domain(JsonNode node, Path file, int index, DedupMode dedup) {
        String where = "domains[" + index + "].";
        if (!node.isObject())
            throw new UserException(file + ": '" + where.substring(0, where.length() - 1) + "' must be a mapping");
        checkKeys(node, DOMAIN_KEYS, file, where);
        String name = text(node, "name", file, where, null);
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) // a domain name is a directory
        throw new UserException(file + ": '" + where + "name' must match [A-Za-z0-9_.-]+, got '" + name + "'");
        where = "domains[" + name + "].";
        Format format = enumValue(Format.class, text(node, "format", file, where, null), file, where + "format");
        JsonNode pathsNode = node.get("paths");
        if (pathsNode == null) throw new UserException(file + ": missing key '" + where + "paths'");
        var paths = new ArrayList<String>();
        if (pathsNode.isTextual()) paths.add(pathsNode.asText());
        else if (pathsNode.isArray())
            for (JsonNode p : pathsNode) {
                if (!p.isTextual() || p.asText().isBlank())
                    throw new UserException(file + ": '" + where + "paths' must be a list of non-empty strings");
                paths.add(p.asText());
            }
        else throw new UserException(file + ": '" + where + "paths' must be a list of globs");
        if (paths.isEmpty()) throw new UserException(file + ": '" + where + "paths' is empty");
        Double prior = null;
        if (node.has("prior")) {
            prior = number(node, "prior", file, where, 0);
            if (!(prior >= 0) || prior.isInfinite())
                throw new UserException(file + ": '" + where + "prior' must be a finite number >= 0, got " + prior);
        }
        DocSeparator separator = enumValue(
                DocSeparator.class, text(node, "doc_separator", file, where, "file"), file, where + "doc_separator");
        if (node.has("doc_separator") && format != Format.TEXT)
            throw new UserException(file + ": '" + where + "doc_separator' applies only to format 'text'");
        DedupMode domainDedup =
                enumValue(DedupMode.class, text(node, "dedup", file, where, dedup.name()), file, where + "dedup");
        return new DomainSpec(
                name, format, paths, prior, text(node, "text_column", file, where, "text"), separator, domainDedup);
    }

    private static void checkKeys(JsonNode node, Set<String> allowed, Path file, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key))
                throw new UserException(file + ": unknown key '" + where + key + "' (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
        }
    }

    private static String text(JsonNode node, String key, Path file, String where, String dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (dflt == null) throw new UserException(file + ": missing key '" + where + key + "'");
            return dflt;
        }
        if (!v.isValueNode() || v.asText().isBlank())
            throw new UserException(file + ": '" + where + key + "' must be a non-empty string");
        return v.asText();
    }

    private static double number(JsonNode node, String key, Path file, String where, double dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber())
            throw new UserException(file + ": '" + where + key + "' must be a number, got '" + v.asText() + "'");
        return v.asDouble();
    }

    private static long integer(JsonNode node, String key, Path file, String where, long dflt) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber())
            throw new UserException(file + ": '" + where + key + "' must be an integer, got '" + v.asText() + "'");
        return v.asLong();
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, Path file, String key) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            var allowed = new ArrayList<String>();
            for (E c : type.getEnumConstants()) allowed.add(c.name().toLowerCase(Locale.ROOT));
            throw new UserException(file + ": '" + key + "' must be one of " + allowed + ", got '" + value + "'");
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
