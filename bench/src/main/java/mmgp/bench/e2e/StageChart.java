package mmgp.bench.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** A PNG of the median stage times: one bar chart per model, a bar per configuration for each stage. */
public final class StageChart {
    private StageChart() {}

    public static void write(List<ConfigurationResult> results, Path png) throws IOException {
        Map<String, List<ConfigurationResult>> byModel = new LinkedHashMap<>();
        for (ConfigurationResult r : results) {
            if (r.ok()) byModel.computeIfAbsent(r.settings().model(), k -> new ArrayList<>()).add(r);
        }
        if (byModel.isEmpty()) throw new IllegalArgumentException("no successful configuration to chart");
        List<CategoryChart> charts = new ArrayList<>();
        byModel.forEach((model, rs) -> charts.add(chart(model, rs)));
        BitmapEncoder.saveBitmap(charts, charts.size(), 1, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static CategoryChart chart(String model, List<ConfigurationResult> rs) {
        List<String> stages = new ArrayList<>();
        for (ConfigurationResult r : rs) {
            for (String m : r.stats().keySet()) if (!Workload.isRate(m) && !stages.contains(m)) stages.add(m); // seconds only: one axis
        }
        CategoryChart c = new CategoryChartBuilder().width(1000).height(420)
                .title(title(model) + " — median seconds per stage (" + rs.get(0).sizeLabel() + ")").xAxisTitle("stage").yAxisTitle("seconds").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setLabelsPosition(1.0); // at the bar's top, dark: readable on short bars too
        c.getStyler().setLabelsFontColorAutomaticEnabled(false);
        c.getStyler().setLabelsFontColor(java.awt.Color.BLACK);
        c.getStyler().setDecimalPattern("#0.00");
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (ConfigurationResult r : rs) {
            List<Double> values = new ArrayList<>();
            for (String s : stages) values.add(r.stats().containsKey(s) ? r.median(s) : 0.0);
            c.addSeries(r.label(), stages, values);
        }
        return c;
    }

    private static String title(String model) {
        return switch (model) {
            case "amused" -> "aMUSEd-256";
            case "ltx" -> "LTX-Video 2B";
            case "smolvlm" -> "SmolVLM2-256M";
            default -> model;
        };
    }
}
