'use client';

import { AuthForm } from '@/components/auth-form';
import { AuthShell } from '@/components/auth-shell';
import { useAuthForm } from '@/hooks/use-auth-form';

export default function SignupPage() {
  const { submit, pending, errors, flash, clearError } = useAuthForm('signup');
  return (
    <AuthShell>
      <AuthForm mode="signup" pending={pending} errors={errors} flash={flash} onSubmit={submit} onEdit={clearError} />
    </AuthShell>
  );
}
