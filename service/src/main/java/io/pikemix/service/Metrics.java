package io.pikemix.service;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters and latency histograms per (method, route), rendered in the Prometheus text exposition format
 * (version 0.0.4) by {@code GET /metrics}, together with the mixer's own gauges.
 */
final class Metrics {
    private static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

    private final Map<String, Route> routes = new ConcurrentHashMap<>();

    private static final class Route {
        final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
        final LongAdder[] buckets = new LongAdder[BUCKETS.length];
        final LongAdder count = new LongAdder();
        final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Route() {
            for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
        }
    }

    void observe(String method, String route, int status, double seconds) {
        Route r = routes.computeIfAbsent(method + " " + route, k -> new Route());
        r.byStatus.computeIfAbsent(status, s -> new LongAdder()).increment();
        r.count.increment();
        r.sum.add(seconds);
        for (int i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) r.buckets[i].increment();
    }

    String render(MixerCore.View v, long frozenSteps) {
        var sb = new StringBuilder(4096);
        sb.append(
                "# HELP pike_requests_total HTTP requests by method, route and status.\n# TYPE pike_requests_total counter\n");
        var sorted = new TreeMap<>(routes);
        sorted.forEach((key, r) -> r.byStatus.forEach((status, n) -> sb.append("pike_requests_total{")
                .append(labels(key))
                .append(",status=\"")
                .append(status)
                .append("\"} ")
                .append(n.sum())
                .append('\n')));
        sb.append(
                "# HELP pike_request_duration_seconds Time to handle a request.\n# TYPE pike_request_duration_seconds histogram\n");
        sorted.forEach((key, r) -> {
            String l = labels(key);
            for (int i = 0; i < BUCKETS.length; i++)
                sb.append("pike_request_duration_seconds_bucket{")
                        .append(l)
                        .append(",le=\"")
                        .append(BUCKETS[i])
                        .append("\"} ")
                        .append(r.buckets[i].sum())
                        .append('\n');
            sb.append("pike_request_duration_seconds_bucket{")
                    .append(l)
                    .append(",le=\"+Inf\"} ")
                    .append(r.count.sum())
                    .append('\n');
            sb.append("pike_request_duration_seconds_sum{")
                    .append(l)
                    .append("} ")
                    .append(String.format(Locale.ROOT, "%.6f", r.sum.sum()))
                    .append('\n');
            sb.append("pike_request_duration_seconds_count{")
                    .append(l)
                    .append("} ")
                    .append(r.count.sum())
                    .append('\n');
        });
        gauge(sb, "pike_frozen_steps", "Steps whose manifests are fixed (0..n-1).", frozenSteps);
        gauge(sb, "pike_last_closed_step", "Last step whose statistics are complete (-1: none).", v.lastClosedStep());
        sb.append(
                        "# HELP pike_stats_reports_total Statistics reports accepted.\n# TYPE pike_stats_reports_total counter\n")
                .append("pike_stats_reports_total ")
                .append(v.reportsAccepted())
                .append('\n');
        sb.append(
                "# HELP pike_stats_reports_open Reports received so far for steps still waiting for workers.\n# TYPE pike_stats_reports_open gauge\n");
        v.open()
                .forEach((step, n) -> sb.append("pike_stats_reports_open{step=\"")
                        .append(step)
                        .append("\"} ")
                        .append(n)
                        .append('\n'));
        sb.append("# HELP pike_weight Weight of each domain at the last frozen step.\n# TYPE pike_weight gauge\n");
        double[] w = v.weights();
        for (int k = 0; k < w.length; k++)
            sb.append("pike_weight{domain=\"")
                    .append(k)
                    .append("\"} ")
                    .append(w[k])
                    .append('\n');
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, long value) {
        sb.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append("\n# TYPE ")
                .append(name)
                .append(" gauge\n")
                .append(name)
                .append(' ')
                .append(value)
                .append('\n');
    }

    private static String labels(String key) {
        int sp = key.indexOf(' ');
        return "method=\"" + key.substring(0, sp) + "\",route=\""
                + key.substring(sp + 1).replace("\"", "") + "\"";
    }
}
