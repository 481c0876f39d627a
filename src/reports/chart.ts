import { createCanvas } from '@napi-rs/canvas';
import type { ClinicReport } from '../services/reports';

/**
 * Utilization per doctor as a horizontal bar chart (PNG): where a picture says it better than
 * a table. Drawn with @napi-rs/canvas; text uses the system's DejaVu Sans.
 */
export function utilizationChart(r: ClinicReport): Buffer {
  const doctors = [...r.byDoctor].sort((a, b) => b.utilization - a.utilization).slice(0, 30);
  const row = 28;
  const left = 220;
  const width = 860;
  const barWidth = width - left - 80;
  const height = 90 + row * Math.max(doctors.length, 1);
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#1f2933';
  g.font = 'bold 18px "DejaVu Sans"';
  g.fillText(`Utilization ${r.from} to ${r.to}: ${Math.round(r.utilization * 100)}% of offered time booked`, 16, 32);
  g.font = '13px "DejaVu Sans"';
  if (doctors.length === 0) g.fillText('No doctors with hours in this range.', 16, 70);
  doctors.forEach((d, i) => {
    const y = 60 + i * row;
    g.fillStyle = '#1f2933';
    const name = d.doctor.length > 28 ? `${d.doctor.slice(0, 27)}…` : d.doctor;
    g.fillText(name, 16, y + 17);
    g.fillStyle = '#e4e7eb';
    g.fillRect(left, y + 4, barWidth, row - 10);
    g.fillStyle = d.utilization >= 0.85 ? '#c0392b' : d.utilization >= 0.5 ? '#2f80ed' : '#7fb3f5';
    g.fillRect(left, y + 4, Math.round(barWidth * d.utilization), row - 10);
    g.fillStyle = '#1f2933';
    g.fillText(`${Math.round(d.utilization * 100)}%`, left + barWidth + 10, y + 17);
  });
  return canvas.toBuffer('image/png');
}
