'use client';

// The charts of the usage page and the admin system view. Recharts is large, so this module is
// loaded only by those pages, on demand (next/dynamic), never with the dashboard.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMinute, formatUtcDay } from '@/lib/format';
import type { AdminSystemResponse, UsageDay } from '@/lib/wire';

const colors = {
  indigo: '#4f46e5',
  emerald: '#059669',
  sky: '#0284c7',
  grid: '#e2e8f0',
  tick: '#475569',
};

const axisTick = { fill: colors.tick, fontSize: 12 };
const chartHeight = 240;

type Row = Record<string, string | number>;

interface TooltipItem {
  dataKey?: unknown;
  name?: unknown;
  value?: unknown;
  color?: string;
}

function ChartTooltip({ active, payload, label, formatLabel }: { active?: boolean; payload?: readonly TooltipItem[]; label?: unknown; formatLabel(label: string): string }) {
  if (!active || !payload || payload.length === 0) return null;
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-3 py-2 text-sm shadow-lg">
      <p className="font-semibold text-slate-900">{formatLabel(String(label ?? ''))}</p>
      <ul className="mt-1 space-y-0.5">
        {payload.map((item) => (
          <li key={String(item.dataKey)} className="flex items-center gap-2 text-slate-700">
            <span className="size-2.5 rounded-sm" style={{ background: item.color }} aria-hidden="true" />
            <span>{String(item.name ?? '')}</span>
            <span className="ml-auto pl-3 font-semibold text-slate-900 tabular-nums">{String(item.value ?? '')}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface SeriesSpec {
  key: string;
  name: string;
  color: string;
}

function DailyBars({ data, series, label, labelFormatter, tickFormatter }: { data: Row[]; series: SeriesSpec[]; label: string; labelFormatter(v: string): string; tickFormatter(v: string): string }) {
  return (
    <BarChart
      responsive
      data={data}
      style={{ width: '100%', height: chartHeight }}
      margin={{ top: 8, right: 4, bottom: 0, left: -16 }}
      barCategoryGap="20%"
      title={label}
    >
      <CartesianGrid vertical={false} stroke={colors.grid} />
      <XAxis dataKey="key" tick={axisTick} tickLine={false} axisLine={{ stroke: colors.grid }} tickFormatter={tickFormatter} minTickGap={16} interval="preserveStartEnd" />
      <YAxis allowDecimals={false} tick={axisTick} tickLine={false} axisLine={false} width={48} />
      <Tooltip cursor={{ fill: 'rgba(79, 70, 229, 0.06)' }} content={(props) => <ChartTooltip active={props.active} payload={props.payload} label={props.label} formatLabel={labelFormatter} />} />
      {series.length > 1 ? <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12, color: colors.tick, paddingTop: 4 }} /> : null}
      {series.map((s) => (
        <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} radius={[4, 4, 0, 0]} maxBarSize={28} isAnimationActive={false} />
      ))}
    </BarChart>
  );
}

const dayLabel = (day: string) => formatUtcDay(day, true);
const dayTick = (day: string) => formatUtcDay(day);

export function SessionsPerDayChart({ days }: { days: UsageDay[] }) {
  return (
    <DailyBars
      data={days.map((d) => ({ key: d.date, sessions: d.sessions }))}
      series={[{ key: 'sessions', name: 'Sessions', color: colors.indigo }]}
      label="Sessions per day"
      labelFormatter={dayLabel}
      tickFormatter={dayTick}
    />
  );
}

export function CreditsPerDayChart({ days }: { days: UsageDay[] }) {
  return (
    <DailyBars
      data={days.map((d) => ({ key: d.date, spent: d.creditsSpent, added: d.creditsAdded }))}
      series={[
        { key: 'spent', name: 'Credits spent', color: colors.indigo },
        { key: 'added', name: 'Credits added', color: colors.emerald },
      ]}
      label="Credits per day"
      labelFormatter={dayLabel}
      tickFormatter={dayTick}
    />
  );
}

export function ChargesPerMinuteChart({ minutes }: { minutes: AdminSystemResponse['chargesPerMinute'] }) {
  return (
    <DailyBars
      data={minutes.map((m) => ({ key: m.minute, credits: m.credits }))}
      series={[{ key: 'credits', name: 'Credits charged', color: colors.sky }]}
      label="Credits charged per minute"
      labelFormatter={(minute) => `Minute from ${formatMinute(minute)}`}
      tickFormatter={formatMinute}
    />
  );
}
