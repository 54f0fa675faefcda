import type { ButtonHTMLAttributes, ReactNode, Ref } from 'react';
import { Spinner } from './spinner';

type Variant = 'primary' | 'danger' | 'secondary' | 'ghost';
type Size = 'md' | 'lg';

const variantClasses: Record<Variant, string> = {
  primary: 'bg-indigo-600 text-white shadow-sm hover:bg-indigo-700 active:bg-indigo-800',
  danger: 'bg-rose-700 text-white shadow-sm hover:bg-rose-800 active:bg-rose-900',
  secondary: 'border border-slate-300 bg-white text-slate-800 shadow-sm hover:bg-slate-50 active:bg-slate-100',
  ghost: 'text-slate-700 hover:bg-slate-100 active:bg-slate-200',
};

const sizeClasses: Record<Size, string> = {
  md: 'min-h-11 px-4 text-sm',
  lg: 'min-h-12 px-6 text-base',
};

export interface ButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'disabled'> {
  variant?: Variant;
  size?: Size;
  /** Shows a spinner and `pendingLabel`; clicks are ignored meanwhile. */
  pending?: boolean;
  pendingLabel?: ReactNode;
  /** Not pressable. Kept focusable (aria-disabled) so keyboard users can still find it. */
  unavailable?: boolean;
  icon?: ReactNode;
  ref?: Ref<HTMLButtonElement>;
}

/** A real <button>, at least 44 px tall, that cannot be pressed twice while its action runs. */
export function Button({
  variant = 'primary',
  size = 'md',
  pending = false,
  pendingLabel,
  unavailable = false,
  icon,
  className = '',
  children,
  onClick,
  type = 'button',
  ...rest
}: ButtonProps) {
  const inert = pending || unavailable;
  return (
    <button
      {...rest}
      type={type}
      aria-disabled={inert || undefined}
      aria-busy={pending || undefined}
      onClick={(event) => {
        if (inert) {
          event.preventDefault();
          return;
        }
        onClick?.(event);
      }}
      className={`inline-flex items-center justify-center gap-2 rounded-xl font-semibold transition-colors select-none ${sizeClasses[size]} ${variantClasses[variant]} ${inert ? 'cursor-not-allowed opacity-70' : 'cursor-pointer'} ${className}`}
    >
      {pending ? <Spinner /> : icon}
      <span>{pending && pendingLabel ? pendingLabel : children}</span>
    </button>
  );
}
