package io.pikemix.evaluation;

import io.pikemix.format.Checks;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code pike eval --plots RUN...}: the paper's figures as 1200×800 PNGs drawn with XChart (no Python), from the
 * same files and quantities as notebooks/runs.ipynb ({@link RunCurves}):
 *
 * <ul>
 *   <li>{@code weights.png}: each domain's sampling weight in force at every step (paper Figure 8);</li>
 *   <li>{@code cosine.png}: the cosine similarity of each pair of per-domain mean gradients at the statistics steps
 *       (Figure 2 right, Figure 5 left); only runs whose strategy computed statistics have it;</li>
 *   <li>{@code epochs.png}: epochs of each domain's training rows consumed so far (rows drawn / training rows);</li>
 *   <li>{@code val_loss.png}: one panel per domain and one for the mean, the validation loss (val.jsonl) of every
 *       run given, one line per strategy.</li>
 * </ul>
 *
 * Without {@code out}, each run's figures go to {@code RUN/plots/}; with it, to {@code out/RUNNAME-*.png} and
 * {@code out/val_loss.png}.
 */
public final class Plots {
    private Plots() {}

    public static final int WIDTH = 1200, HEIGHT = 800;

    /** The PNGs written, and a line per figure that could not be drawn and why. */
    public record Result(List<Path> written, List<String> skipped) {}

    public static Result write(List<Path> runs, Path out) {
        Checks.require(!runs.isEmpty(), "--plots needs at least one run directory");
        System.setProperty("java.awt.headless", "true");
        var curves = runs.stream().map(RunCurves::read).toList();
        var written = new ArrayList<Path>();
        var skipped = new ArrayList<String>();
        BufferedImage valLoss = valLoss(curves);
        for (int i = 0; i < runs.size(); i++) {
            RunCurves c = curves.get(i);
            Path dir = out != null ? out : runs.get(i).resolve("plots");
            String prefix = out != null ? c.name() + "-" : "";
            if (c.steps().length == 0) {
                skipped.add(c.name() + ": no metrics.jsonl lines, so no weights or epochs figure");
            } else {
                written.add(save(image(weights(c)), dir.resolve(prefix + "weights.png")));
                if (c.epochs() != null) written.add(save(image(epochs(c)), dir.resolve(prefix + "epochs.png")));
                else skipped.add(c.name() + ": its dataset's dataset.json is unreadable, so no epochs figure");
            }
            if (c.statSteps().length > 0 && c.domains().size() > 1)
                written.add(save(image(cosine(c)), dir.resolve(prefix + "cosine.png")));
            else
                skipped.add(c.name() + ": no gradient statistics (stats.jsonl; strategy " + c.strategy()
                        + "), so no cosine figure");
            if (out == null) written.add(save(valLoss, dir.resolve("val_loss.png")));
        }
        if (out != null) written.add(save(valLoss, out.resolve("val_loss.png")));
        return new Result(written, skipped);
    }

    /** Figure 8: w_k in force at every step. */
    static XYChart weights(RunCurves c) {
        XYChart chart = chart(
                c.label() + ": sampling weight per domain (paper Fig. 8)", "step", "weight (fraction of the batch)");
        for (int k = 0; k < c.domains().size(); k++) line(chart, c.domains().get(k), c.steps(), c.weights()[k], false);
        chart.getStyler().setYAxisMin(0.0);
        return niceStepTicks(chart);
    }

    /** Figure 2 right / Figure 5: cos(∇L_k, ∇L_l) for every pair k < l at the statistics steps. */
    static XYChart cosine(RunCurves c) {
        XYChart chart = chart(
                c.label() + ": cosine similarity of per-domain gradients (paper Fig. 2, 5)",
                "step",
                "cos(grad L_k, grad L_l)");
        for (int k = 0; k < c.domains().size(); k++)
            for (int l = k + 1; l < c.domains().size(); l++)
                line(chart, c.domains().get(k) + "-" + c.domains().get(l), c.statSteps(), c.cosine(k, l), true);
        chart.getStyler().setYAxisMin(-1.0).setYAxisMax(1.0).setYAxisDecimalPattern("0.0#");
        return niceStepTicks(chart);
    }

    /** Rows drawn so far / the domain's training rows. */
    static XYChart epochs(RunCurves c) {
        XYChart chart = chart(
                c.label() + ": epochs of each domain's training data consumed",
                "step",
                "epochs (rows drawn / training rows)");
        for (int k = 0; k < c.domains().size(); k++) line(chart, c.domains().get(k), c.steps(), c.epochs()[k], false);
        chart.getStyler().setYAxisMin(0.0);
        return niceStepTicks(chart);
    }

    /** One panel per domain and one for the mean: validation loss over steps, one line per run. */
    static BufferedImage valLoss(List<RunCurves> runs) {
        List<String> domains = runs.get(0).domains();
        var panels = new ArrayList<XYChart>();
        for (int k = 0; k <= domains.size(); k++) {
            String title = k < domains.size() ? domains.get(k) : "mean over domains";
            XYChart chart = chart(title, "step", "validation loss (nats/token)");
            for (RunCurves r : runs) {
                int kr = k < domains.size() ? r.domains().indexOf(domains.get(k)) : -1;
                if (k < domains.size() && kr < 0) continue;
                line(chart, r.label(), r.valSteps(), kr < 0 ? r.valMean() : r.valLoss()[kr], true);
            }
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
            chart.getStyler().setYAxisDecimalPattern("0.0#");
            panels.add(niceStepTicks(chart));
        }
        int n = panels.size(), cols = (int) Math.ceil(Math.sqrt(n * 1.5)), rows = (int) Math.ceil((double) n / cols);
        var img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int top = 44, w = WIDTH / cols, h = (HEIGHT - top) / rows;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString("Validation loss per domain, one line per strategy (val.jsonl)", 16, 30);
        for (int i = 0; i < n; i++) {
            XYChart p = panels.get(i);
            p.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            p.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            p.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            p.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            Graphics2D gi = (Graphics2D) g.create((i % cols) * w, top + (i / cols) * h, w, h);
            p.paint(gi, w, h);
            gi.dispose();
        }
        g.dispose();
        return img;
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title)
                .xAxisTitle(x)
                .yAxisTitle(y)
                .build();
        var s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(220, 220, 220));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        // XChart centres the title over the plot area, which the legend on the right narrows and moves left by about
        // 130 px: a title wider than WIDTH − 2·130 loses its start (the demo's cosine title read "bust-pike (robust-…")
        s.setChartTitleFont(titleFont(title, WIDTH - 260));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 18));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
        s.setMarkerSize(7);
        s.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        // steps are whole numbers: "1,200", never "1,200.0" or a tick every 7 steps crowding the axis
        s.setXAxisDecimalPattern("#,##0");
        s.setXAxisTickMarkSpacingHint(110);
        // a leading zero ("0.05", not XChart's default ".05"); the figures below narrow it where they know the range
        s.setYAxisDecimalPattern("0.0##");
        return chart;
    }

    /**
     * Bold sans serif at 22 points, or smaller (down to 12) until {@code title} fits in {@code width} pixels (XChart
     * clips what does not fit on both sides).
     */
    static Font titleFont(String title, int width) {
        var probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            int size = 22;
            Font font = new Font(Font.SANS_SERIF, Font.BOLD, size);
            while (size > 12 && probe.getFontMetrics(font).stringWidth(title) > width)
                font = new Font(Font.SANS_SERIF, Font.BOLD, --size);
            return font;
        } finally {
            probe.dispose();
        }
    }

    /**
     * XChart 3.8.8 places x ticks only at data values when the chart's distinct x values are equally spaced
     * ({@code AxisTickCalculator_.calculateForEquallySpacedAxisValues}): with one x per step that is a tick every 7 or
     * 13 steps, crowded and odd. One invisible point half a step after the first x (no line, no marker, not in the
     * legend, added last so no colour shifts) makes them unequally spaced, and XChart's round-number ticks (0, 50,
     * 100, ...) are used instead. It lies inside the data's range, so it changes neither axis.
     */
    static XYChart niceStepTicks(XYChart chart) {
        XYSeries first = chart.getSeriesMap().values().stream().findFirst().orElse(null);
        if (first == null || first.getXData().length < 2) return chart;
        double x0 = first.getXData()[0], x1 = first.getXData()[1];
        XYSeries s = chart.addSeries(" ticks", new double[] {x0 + (x1 - x0) / 2}, new double[] {first.getYData()[0]});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.NONE);
        s.setShowInLegend(false);
        return chart;
    }

    /** A series without its NaN points (a domain with no rows at a statistics step has none); skipped when empty. */
    private static void line(XYChart chart, String name, double[] x, double[] y, boolean markers) {
        var xs = new double[x.length];
        var ys = new double[x.length];
        int n = 0;
        for (int i = 0; i < x.length; i++)
            if (!Double.isNaN(y[i])) {
                xs[n] = x[i];
                ys[n++] = y[i];
            }
        if (n == 0) return;
        XYSeries s = chart.addSeries(name, Arrays.copyOf(xs, n), Arrays.copyOf(ys, n));
        s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        s.setLineWidth(2.5f);
    }

    private static BufferedImage image(XYChart chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    private static Path save(BufferedImage img, Path file) {
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
