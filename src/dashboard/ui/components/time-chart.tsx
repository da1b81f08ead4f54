import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One line of a {@link TimeChart}. */
export interface ChartSeries {
  label: string;
  color: string;
  /** One value per time, null where there is none. */
  values: (number | null)[];
}

const HEIGHT = 220;

function optionsFor(
  series: ChartSeries[],
  width: number,
  unit: string,
  format: (value: number) => string,
): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1e-9) * 1.1] } },
    axes: [
      { stroke: '#475569', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#cbd5e1' } },
      {
        stroke: '#475569',
        grid: { stroke: '#e2e8f0' },
        ticks: { stroke: '#cbd5e1' },
        size: 60,
        label: unit,
        values: (_u, splits) => splits.map(format),
      },
    ],
    series: [
      {},
      ...series.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 2,
        value: (_u: uPlot, value: number | null) => (value === null ? '–' : format(value)),
      })),
    ],
  };
}

/**
 * A time series chart drawn by uPlot: `times` in seconds since the epoch, one line per series.
 * Re-created when the set of lines changes, otherwise only fed new data; follows its box's width.
 */
export function TimeChart(props: {
  title: string;
  times: number[];
  series: ChartSeries[];
  unit: string;
  format: (value: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { times, series, unit, format } = props;
  const shape = series.map((line) => `${line.label}:${line.color}`).join('|');

  const data: uPlot.AlignedData = [times, ...series.map((line) => line.values)];

  // Rebuilt only when the set of lines changes; new data goes through setData below.
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const chart = new uPlot(
      optionsFor(series, Math.max(element.clientWidth, 200), unit, format),
      data,
      element,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(element.clientWidth, 200), height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape, unit]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const description = `${props.title}: ${series.length} series over the last ${Math.round(
    ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 60,
  )} minutes.`;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={description} />
    </figure>
  );
}
