'use client';

import { AuthForm } from '@/components/auth-form';
import { AuthShell } from '@/components/auth-shell';
import { useAuthForm } from '@/hooks/use-auth-form';

export default function LoginPage() {
  const { submit, pending, errors, flash, clearError } = useAuthForm('login');
  return (
    <AuthShell>
      <AuthForm mode="login" pending={pending} errors={errors} flash={flash} onSubmit={submit} onEdit={clearError} />
    </AuthShell>
  );
}
